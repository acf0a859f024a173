// The service host: a Node process that runs the app service for the Electron main process,
// which forks it and talks to it over the IPC channel. A crash here leaves the window alive.
import {
  APP_COMMAND_NAMES,
  APP_EVENT_NAMES,
  type AppCommandName,
  type AppParams,
} from '../shared/contract.js';
import { replyTo } from '../shared/wire.js';
import { AppService } from './service.js';

/** Runs the host: messages in on process 'message', replies and events out with process.send. */
function main(): void {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write(
      'netweave service host: start it with an IPC channel (child_process.fork)\n',
    );
    process.exit(2);
  }
  const service = new AppService({ transport: 'electron' });
  for (const event of APP_EVENT_NAMES) {
    service.on(event, (payload) => send({ t: 'event', event, payload }));
  }
  process.on('message', (msg: unknown) => {
    // The service checks the params (commandParams.ts).
    void replyTo(msg, APP_COMMAND_NAMES, ({ cmd, params }) =>
      service.call(cmd as AppCommandName, params as AppParams<AppCommandName>),
    ).then((reply) => send(reply));
  });
  let ending = false;
  const end = (): void => {
    if (ending) return;
    ending = true;
    void service.dispose().finally(() => process.exit(0));
  };
  process.on('disconnect', end);
  process.on('SIGTERM', end);
  process.on('SIGINT', end);
}

main();
