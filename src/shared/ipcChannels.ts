// The two Electron IPC channels between the main process and the preload: calls of the app
// contract (with their result envelope), and its events.

/** Calls: ipcRenderer.invoke(CALL_CHANNEL, command, params) answers a CallEnvelope. */
export const CALL_CHANNEL = 'netweave:call';

/** Events: webContents.send(EVENT_CHANNEL, event, payload). */
export const EVENT_CHANNEL = 'netweave:event';
