// Renderer entry: picks the transport, connects the store, renders the app (or, in a popped-out
// console window, just that console).
import '@xyflow/react/dist/style.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { ConsoleView } from './components/ConsoleView.js';
import { connectClient } from './controller.js';
import './styles.css';
import { createAppClient } from './transport/index.js';

const client = createAppClient();
const connection = connectClient(client);
window.addEventListener('unload', () => void connection.dispose());

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
const popped = /^#console=([^/]+)\/(.+)$/.exec(window.location.hash);
createRoot(root).render(
  <StrictMode>
    {popped?.[1] && popped[2] ? (
      <div className="popout">
        <ConsoleView lab={decodeURIComponent(popped[1])} node={decodeURIComponent(popped[2])} />
      </div>
    ) : (
      <App />
    )}
  </StrictMode>,
);
