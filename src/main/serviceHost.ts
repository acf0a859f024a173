// Runs the app service in a child process (child_process.fork of dist/service/host.js) so an
// engine crash never takes the window down; the window is told and can restart it.
import { fork, type ChildProcess } from 'node:child_process';
import {
  APP_EVENT_NAMES,
  EngineError,
  type AppCommandName,
  type AppCommands,
  type AppEventName,
  type AppEvents,
  type AppParams,
} from '../shared/contract.js';
import { WireClient, type WireClientMessage, type WireServerMessage } from '../shared/wire.js';

/** How long the host may take to take its labs down when the app quits before it is killed. */
const STOP_TIMEOUT_MS = 60_000;

/** How to start the host process. */
export interface ServiceHostOptions {
  /** The compiled host entry (dist/service/host.js). */
  entry: string;
  /** The Node binary: system node in development, Electron itself (as Node) when packaged. */
  execPath: string;
  runAsNode: boolean;
  onEvent: (event: AppEventName, payload: unknown) => void;
}

/** The service host process and a client to it. */
export class ServiceHost {
  private child: ChildProcess | undefined;
  private client: WireClient<AppCommands, AppEvents> | undefined;
  private stopping = false;

  constructor(private readonly options: ServiceHostOptions) {}

  /** Starts (or restarts) the host process. */
  start(): void {
    this.stopping = false;
    const child = fork(this.options.entry, [], {
      execPath: this.options.execPath,
      env: { ...process.env, ...(this.options.runAsNode ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const client = new WireClient<AppCommands, AppEvents>({
      send: (msg: WireClientMessage) => {
        if (child.connected) child.send(msg);
      },
      events: APP_EVENT_NAMES,
    });
    client.on('serviceState', () => undefined);
    this.child = child;
    this.client = client;
    child.on('message', (msg: WireServerMessage) => {
      if (msg.t === 'event') this.options.onEvent(msg.event as AppEventName, msg.payload);
      else client.receive(msg);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      const reason = signal ? `it was killed by ${signal}` : `it exited with code ${code ?? '?'}`;
      client.close(
        new EngineError(
          'not-running',
          `the engine service stopped (${reason}); restart it from the banner`,
        ),
      );
      this.child = undefined;
      if (!this.stopping) this.options.onEvent('serviceState', { state: 'crashed', reason });
    });
    child.on('error', (err) => {
      this.options.onEvent('serviceState', { state: 'crashed', reason: err.message });
    });
    this.options.onEvent('serviceState', { state: 'running' });
  }

  /** Forwards one command to the host. */
  call(cmd: AppCommandName, params: unknown): Promise<unknown> {
    if (!this.client || !this.child) {
      return Promise.reject(
        new EngineError(
          'not-running',
          'the engine service is not running; restart it from the banner',
        ),
      );
    }
    return this.client.call<AppCommandName>(cmd, params as AppParams<AppCommandName>);
  }

  /** Pid of the host process while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Restarts the host (after a crash). */
  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }

  /**
   * Stops the host: it takes down the labs it launched as it exits. Resolves once it has
   * exited (killed if it takes longer than STOP_TIMEOUT_MS).
   */
  stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
    });
  }
}
