// The object the preload exposes: one method per app command and on/off for events. Built from
// the contract's run-time name lists, without importing electron, so a test can pin its surface.
import {
  APP_COMMAND_NAMES,
  APP_EVENT_NAMES,
  type AppCommandName,
  type AppEventName,
  type PreloadApi,
} from '../shared/contract.js';

/** What the preload needs from Electron: invoke a command, and the stream of events. */
export interface PreloadBridge {
  invoke(cmd: AppCommandName, params: unknown): Promise<unknown>;
  /** Registers the one listener for every event (name and payload only, never the IPC event). */
  listen(listener: (event: AppEventName, payload: unknown) => void): void;
}

/** Builds the exposed API over a bridge. */
export function buildPreloadApi(bridge: PreloadBridge): PreloadApi {
  const subs = new Map<number, { event: AppEventName; listener: (p: unknown) => void }>();
  let next = 1;
  bridge.listen((event, payload) => {
    if (!APP_EVENT_NAMES.includes(event)) return;
    for (const s of [...subs.values()]) if (s.event === event) s.listener(payload);
  });
  const api: Record<string, unknown> = {};
  for (const cmd of APP_COMMAND_NAMES) {
    // The envelope goes to the page as data: a thrown error would lose its code and problems.
    api[cmd] = (params: unknown): Promise<unknown> => bridge.invoke(cmd, params ?? {});
  }
  api['on'] = (event: AppEventName, listener: (p: unknown) => void): number => {
    if (!APP_EVENT_NAMES.includes(event)) throw new Error(`unknown event "${String(event)}"`);
    const id = next++;
    subs.set(id, { event, listener });
    return id;
  };
  api['off'] = (id: number): void => {
    subs.delete(id);
  };
  return Object.freeze(api) as PreloadApi;
}
