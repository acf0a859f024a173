// `netweave serve`: web mode. Hosts the app service in this process and serves the renderer
// and the contract (over a WebSocket) to a browser.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { EngineError } from '../shared/contract.js';
import { AppService } from '../service/service.js';
import { findRendererDir, rendererDirs, WebServer } from '../service/webServer.js';

/** Runs `netweave serve [--port N] [--host H] [--open]` until SIGINT/SIGTERM. */
export async function cmdServe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      open: { type: 'boolean' },
    },
  });
  const port = values.port === undefined ? 7070 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EngineError(
      'bad-request',
      `--port must be a port number (0-65535), not "${values.port}"`,
    );
  }
  const staticDir = findRendererDir();
  if (!staticDir) {
    throw new EngineError(
      'missing-binary',
      `the app is not built (no ${rendererDirs().join(' or ')}); run \`npm run build\` in the netweave folder`,
    );
  }
  const service = new AppService({ transport: 'websocket' });
  const web = await WebServer.listen({
    service,
    staticDir,
    port,
    ...(values.host ? { host: values.host } : {}),
  });
  process.stdout.write(`netweave is serving the app at ${web.url}\n`);
  if (values.host && !['127.0.0.1', 'localhost', '::1'].includes(values.host)) {
    process.stdout.write(
      'warning: other machines can reach this address; anyone with the URL (token included) can drive your labs\n',
    );
  }
  if (values.open) {
    const opener = spawn('xdg-open', [web.url], { stdio: 'ignore', detached: true });
    opener.on('error', () =>
      process.stderr.write('netweave: could not run xdg-open; open the URL yourself\n'),
    );
    opener.unref();
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  process.stdout.write('netweave: stopping (labs launched from the app are taken down)\n');
  await web.dispose();
  await service.dispose();
  return 0;
}
