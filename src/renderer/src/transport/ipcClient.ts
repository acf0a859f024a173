// The app contract over the Electron preload's bridge: one method per command, on/off for events.
import type {
  AppClient,
  AppCommandName,
  AppParams,
  AppResult,
  PreloadApi,
} from '../../../shared/contract.js';
import { EngineError, type CallEnvelope } from '../../../shared/contract.js';
import { toDisposable } from '../../../shared/lifecycle.js';

/** A call's result, or its error rebuilt with code and problems (see CallEnvelope). */
function unwrap<T>(env: CallEnvelope<T>): T {
  if (env.ok) return env.result;
  throw new EngineError(env.code, env.message, env.problems);
}

/** An error of the bridge itself (not of the command), which Electron reduces to a message. */
function bridgeError(err: unknown): EngineError {
  const raw = err instanceof Error ? err.message : String(err);
  // Electron prefixes "Error invoking remote method 'x': Error: ".
  return new EngineError(
    'internal',
    raw.replace(/^Error invoking remote method '[^']+': (Error: )?/, ''),
  );
}

/** Wraps the preload's window.netweave as an AppClient. */
export function ipcClient(api: PreloadApi): AppClient {
  return {
    async call<K extends AppCommandName>(cmd: K, params: AppParams<K>): Promise<AppResult<K>> {
      const method = api[cmd] as (p: AppParams<K>) => Promise<CallEnvelope<AppResult<K>>>;
      let env: CallEnvelope<AppResult<K>>;
      try {
        env = await method(params);
      } catch (err) {
        throw bridgeError(err);
      }
      return unwrap(env);
    },
    on(event, listener) {
      const id = api.on(event, listener);
      return toDisposable(() => api.off(id));
    },
  };
}
