// The toolbar: files, history, layout, and lab control with deploy progress.
import type { JSX } from 'react';
import { layoutAction, run } from '../actions.js';
import { importZephyrBuild, launch, newFile, openDialog, save, stop } from '../controller.js';
import type { FaultFiring } from '../../../shared/contract.js';
import { isDirty, useStore } from '../store/index.js';

/** A fault firing as the toolbar shows it: "5.0 s: fault 1 (at 5s for 5s: link a--b down) up". */
function firingLine(f: FaultFiring): string {
  const e = f.event;
  return `${(e.atMs / 1000).toFixed(1)} s: fault ${f.index} (${f.fault}) ${e.action}${e.ok ? '' : ` failed: ${e.error ?? ''}`}`;
}

/** Undo and redo: each one's label, shortcut, and the history it takes a step from. */
const HISTORY_STEPS = {
  undo: { label: 'Undo', keys: 'Ctrl+Z', from: 'past' },
  redo: { label: 'Redo', keys: 'Ctrl+Shift+Z', from: 'future' },
} as const;

/** The undo or redo button, enabled while there is a step to take. */
function HistoryButton({ step }: { step: keyof typeof HISTORY_STEPS }): JSX.Element {
  const { label, keys, from } = HISTORY_STEPS[step];
  const enabled = useStore((s) => s[from].length > 0);
  const take = useStore((s) => s[step]);
  return (
    <button
      type="button"
      disabled={!enabled}
      onClick={take}
      title={`${label} (${keys})`}
      data-testid={step}
    >
      {label}
    </button>
  );
}

/** The toolbar. */
export function Toolbar(): JSX.Element {
  const file = useStore((s) => s.file);
  const dirty = useStore(isDirty);
  const labState = useStore((s) => s.labState);
  const labReason = useStore((s) => s.labReason);
  const firings = useStore((s) => s.faultFirings);
  const lastFiring = firings.at(-1);
  const progress = useStore((s) => s.progress);
  const busy = labState === 'launching' || labState === 'deploying' || labState === 'destroying';
  const up = labState === 'running' || busy;
  return (
    <header className="toolbar">
      <strong className="brand">netweave</strong>
      <button type="button" onClick={() => void newFile()} title="New (Ctrl+N)">
        New
      </button>
      <button
        type="button"
        onClick={() => void openDialog()}
        title="Open (Ctrl+O)"
        data-testid="open"
      >
        Open
      </button>
      <button type="button" onClick={() => void save()} title="Save (Ctrl+S)" data-testid="save">
        Save
      </button>
      <button type="button" onClick={() => void save(true)} title="Save as (Ctrl+Shift+S)">
        Save as
      </button>
      <button
        type="button"
        onClick={() => void importZephyrBuild()}
        title="Import a Zephyr build directory (or drop it on the canvas)"
      >
        Import Zephyr…
      </button>
      <span className="sep" />
      <HistoryButton step="undo" />
      <HistoryButton step="redo" />
      <button type="button" onClick={() => run(layoutAction, null)} title="Auto-layout (L)">
        Layout
      </button>
      <span className="sep" />
      {up ? (
        <button
          type="button"
          className="stop"
          disabled={labState === 'destroying'}
          onClick={() => void stop()}
          data-testid="stop"
        >
          Stop lab
        </button>
      ) : (
        <button type="button" className="launch" onClick={() => void launch()} data-testid="launch">
          Launch
        </button>
      )}
      <span className={`lab-state ${labState}`} data-testid="lab-state" title={labReason ?? ''}>
        {labState === 'idle' ? 'not running' : labState}
        {busy && progress ? ` [${progress.step}/${progress.steps}] ${progress.message}` : ''}
        {labState === 'failed' && labReason ? `: ${labReason}` : ''}
      </span>
      {busy && progress ? <progress max={progress.steps} value={progress.step} /> : null}
      {lastFiring ? (
        <span
          className={`fault-firing ${lastFiring.event.ok ? 'ok' : 'failed'}`}
          data-testid="fault-last"
          title={firings.map(firingLine).join('\n')}
        >
          {firingLine(lastFiring)}
        </span>
      ) : null}
      <span className="file" title={file ?? ''} data-testid="file-name">
        {file ?? 'unsaved lab'}
        {dirty ? ' •' : ''}
      </span>
    </header>
  );
}
