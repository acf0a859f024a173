// Picks the transport: the Electron preload's bridge when present, else web mode's WebSocket.
// Nothing else in the renderer knows which one it is.
import type { AppClient, PreloadApi } from '../../../shared/contract.js';
import { ipcClient } from './ipcClient.js';
import { connectWebSocket } from './wsClient.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser. */
    netweave?: PreloadApi;
  }
}

/** The app client of this window. */
export function createAppClient(): AppClient {
  if (window.netweave) return ipcClient(window.netweave);
  return connectWebSocket(window.location);
}
