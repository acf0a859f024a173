// The start screen: a new lab, the bundled examples, recent files.
import type { JSX } from 'react';
import { attachLab, newFile, openDialog, openFile } from '../controller.js';
import { useStore } from '../store/index.js';

/** The start screen over an empty canvas. */
export function StartScreen(): JSX.Element {
  const examples = useStore((s) => s.examples);
  const recent = useStore((s) => s.recent);
  const labs = useStore((s) => s.labs);
  const running = labs.filter((l) => l.state === 'running');
  const setUi = useStore((s) => s.setUi);
  return (
    <div className="start-screen" data-testid="start-screen">
      <h1>netweave</h1>
      <p className="muted">A network lab for Zephyr RTOS developers.</p>
      <div className="buttons">
        <button type="button" data-testid="start-new" onClick={() => void newFile()}>
          New lab
        </button>
        <button type="button" onClick={() => void openDialog()}>
          Open…
        </button>
        <button type="button" onClick={() => setUi({ startScreen: false })}>
          Empty canvas
        </button>
      </div>
      <h2>Examples</h2>
      <ul>
        {examples.map((e) => (
          <li key={e.file}>
            <button type="button" className="link" onClick={() => void openFile(e.file)}>
              {e.name}
            </button>{' '}
            <span className="muted">{e.description}</span>
          </li>
        ))}
      </ul>
      {running.length > 0 ? (
        <>
          <h2>Running labs</h2>
          <ul data-testid="running-labs">
            {running.map((l) => (
              <li key={l.name}>
                <button type="button" className="link" onClick={() => void attachLab(l.name)}>
                  {l.name}
                </button>{' '}
                <span className="muted">{l.file ?? ''}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {recent.length > 0 ? (
        <>
          <h2>Recent</h2>
          <ul data-testid="recent">
            {recent.map((f) => (
              <li key={f}>
                <button type="button" className="link" onClick={() => void openFile(f)}>
                  {f}
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
