// The preload: exposes exactly the app contract (one method per command, on/off) as
// window.netweave. ipcRenderer and IPC event objects never reach the page.
import { contextBridge, ipcRenderer } from 'electron';
import type { AppEventName } from '../shared/contract.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../shared/ipcChannels.js';
import { buildPreloadApi } from './api.js';

contextBridge.exposeInMainWorld(
  'netweave',
  buildPreloadApi({
    invoke: (cmd, params) => ipcRenderer.invoke(CALL_CHANNEL, cmd, params),
    listen: (listener) => {
      ipcRenderer.on(EVENT_CHANNEL, (_event, name: AppEventName, payload: unknown) =>
        listener(name, payload),
      );
    },
  }),
);
