// The app contract over the Electron preload's bridge: one method per command, on/off for events.
import type {
  AppClient,
  AppCommandName,
  AppParams,
  AppResult,
  PreloadApi,
} from '../../../shared/contract.js';
import { EngineError, type EngineErrorCode } from '../../../shared/contract.js';
import { toDisposable } from '../../../shared/lifecycle.js';

const CODE_RE = /^\[([a-z-]+)\] /;

/** Rebuilds an EngineError from what crossed the bridge (Electron keeps only the message). */
function toEngineError(err: unknown): EngineError {
  const raw = err instanceof Error ? err.message : String(err);
  // Electron prefixes "Error invoking remote method 'x': Error: ".
  const message = raw.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
  const m = CODE_RE.exec(message);
  if (m?.[1]) return new EngineError(m[1] as EngineErrorCode, message.slice(m[0].length));
  return new EngineError('internal', message);
}

/** Wraps the preload's window.netweave as an AppClient. */
export function ipcClient(api: PreloadApi): AppClient {
  return {
    async call<K extends AppCommandName>(cmd: K, params: AppParams<K>): Promise<AppResult<K>> {
      const method = api[cmd] as (p: AppParams<K>) => Promise<AppResult<K>>;
      try {
        return await method(params);
      } catch (err) {
        throw toEngineError(err);
      }
    },
    on(event, listener) {
      const id = api.on(event, listener);
      return toDisposable(() => api.off(id));
    },
  };
}
