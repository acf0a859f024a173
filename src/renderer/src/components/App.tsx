// The app window: toolbar, palette, canvas (or start screen), inspector, consoles, dialogs, and
// the keyboard shortcuts.
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useEffect, useState, type JSX } from 'react';
import {
  addNodeAction,
  copySelection,
  deleteAction,
  layoutAction,
  pasteAction,
  run,
  type Clipboard,
} from '../actions.js';
import { appClient, newFile, openDialog, save } from '../controller.js';
import { isDirty, useStore } from '../store/index.js';
import { Canvas } from './Canvas.js';
import { ConsolePanel } from './ConsolePanel.js';
import { Dialogs } from './Dialogs.js';
import { Inspector } from './Inspector.js';
import { Palette } from './Palette.js';
import { StartScreen } from './StartScreen.js';
import { Toolbar } from './Toolbar.js';

let clipboard: Clipboard | null = null;

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Handles one key press; returns true when it was a shortcut. */
function shortcut(e: KeyboardEvent): boolean {
  if (typingIn(e.target)) return false;
  const st = useStore.getState();
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === 'z') {
    if (e.shiftKey) st.redo();
    else st.undo();
    return true;
  }
  if (mod && key === 'y') {
    st.redo();
    return true;
  }
  if (mod && key === 's') {
    void save(e.shiftKey);
    return true;
  }
  if (mod && key === 'o') {
    void openDialog();
    return true;
  }
  if (mod && key === 'n') {
    void newFile();
    return true;
  }
  if (mod && key === 'c') {
    clipboard = copySelection(st.doc, st.selection);
    return clipboard !== null;
  }
  if (mod && key === 'v') {
    if (clipboard) run(pasteAction, clipboard);
    return clipboard !== null;
  }
  if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) {
    if (st.selection.nodes.length + st.selection.links.length === 0) return false;
    run(deleteAction, st.selection);
    return true;
  }
  if (!mod && !e.altKey && key === 'l') {
    run(layoutAction, null);
    return true;
  }
  return false;
}

function Workspace({ nativePopOut }: { nativePopOut: boolean }): JSX.Element {
  const startScreen = useStore((s) => s.startScreen);
  const { screenToFlowPosition } = useReactFlow();
  const addAtCentre = (kind: string): void => {
    const el = document.querySelector('.canvas');
    const r = el?.getBoundingClientRect();
    const p = screenToFlowPosition({
      x: (r?.left ?? 0) + (r?.width ?? 400) / 2,
      y: (r?.top ?? 0) + (r?.height ?? 300) / 2,
    });
    useStore.getState().setUi({ startScreen: false });
    run(addNodeAction, { kind, position: { x: Math.round(p.x - 60), y: Math.round(p.y - 30) } });
  };
  return (
    <div className="workspace">
      <Palette onAdd={addAtCentre} />
      <main className="centre">
        <Canvas />
        {startScreen ? <StartScreen /> : null}
        <ConsolePanel nativePopOut={nativePopOut} />
      </main>
      <Inspector />
    </div>
  );
}

/** The whole app. */
export function App(): JSX.Element {
  const [nativePopOut, setNativePopOut] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (shortcut(e)) e.preventDefault();
    };
    const onBeforeUnload = (e: BeforeUnloadEvent): void => {
      if (isDirty(useStore.getState())) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('beforeunload', onBeforeUnload);
    void appClient()
      .call('appInfo', {})
      .then((i) => setNativePopOut(i.popOut))
      .catch(() => undefined);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, []);
  return (
    <ReactFlowProvider>
      <div className="app">
        <Toolbar />
        <Workspace nativePopOut={nativePopOut} />
        <Dialogs />
      </div>
    </ReactFlowProvider>
  );
}
