// In-page dialogs: the file path prompt (web mode), confirmations, the bad-file report, the
// notice line and the service banner.
import { useEffect, useRef, type JSX } from 'react';
import { answerPrompt, openFile } from '../controller.js';
import { useStore } from '../store/index.js';
import { appClient, attempt } from '../controller.js';

function PathPrompt(): JSX.Element | null {
  const prompt = useStore((s) => s.prompt);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.select(), [prompt]);
  if (!prompt) return null;
  return (
    <div
      className="modal"
      role="dialog"
      aria-label={
        prompt.mode === 'open' ? 'Open file' : prompt.mode === 'save' ? 'Save file' : 'Import'
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          answerPrompt(input.current?.value.trim() || null);
        }}
      >
        <label>
          {prompt.mode === 'open'
            ? 'Open topology file (path on the netweave machine)'
            : prompt.mode === 'save'
              ? 'Save topology as (.yaml)'
              : 'Zephyr build directory to import (path on the netweave machine)'}
          <input ref={input} defaultValue={prompt.initial} data-testid="path-input" autoFocus />
        </label>
        <div className="buttons">
          <button type="submit" data-testid="path-ok">
            {prompt.mode === 'open' ? 'Open' : prompt.mode === 'save' ? 'Save' : 'Import'}
          </button>
          <button type="button" onClick={() => answerPrompt(null)}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}

function Confirm(): JSX.Element | null {
  const confirm = useStore((s) => s.confirm);
  if (!confirm) return null;
  return (
    <div className="modal" role="alertdialog">
      <p>{confirm.text}</p>
      <div className="buttons">
        <button type="button" data-testid="confirm-ok" onClick={() => confirm.resolve(true)}>
          Discard
        </button>
        <button type="button" onClick={() => confirm.resolve(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function OpenProblems(): JSX.Element | null {
  const report = useStore((s) => s.openProblems);
  const setUi = useStore((s) => s.setUi);
  if (!report) return null;
  return (
    <div className="open-problems" role="alert" data-testid="open-problems">
      <strong>{report.file} was not opened; it has problems:</strong>
      <pre data-testid="open-problems-text">{report.lines.join('\n')}</pre>
      <div className="buttons">
        <button type="button" onClick={() => void openFile(report.file, true)}>
          Open anyway to fix it
        </button>
        <button
          type="button"
          data-testid="open-problems-close"
          onClick={() => setUi({ openProblems: null })}
        >
          Close
        </button>
      </div>
    </div>
  );
}

function Notice(): JSX.Element | null {
  const notice = useStore((s) => s.notice);
  const setNotice = useStore((s) => s.setNotice);
  if (!notice) return null;
  return (
    <div className={`notice ${notice.kind}`} role="status" data-testid="notice">
      <span>{notice.text}</span>
      <button type="button" className="small" onClick={() => setNotice(null)}>
        ×
      </button>
    </div>
  );
}

function ServiceBanner(): JSX.Element | null {
  const state = useStore((s) => s.serviceState);
  const reason = useStore((s) => s.serviceReason);
  if (state === 'running') return null;
  return (
    <div className="service-banner" role="alert" data-testid="service-banner">
      {state === 'crashed'
        ? `The netweave engine service stopped${reason ? `: ${reason}` : ''}. Your canvas is kept.`
        : (reason ?? 'The connection to netweave was lost.')}
      {state === 'crashed' ? (
        <button
          type="button"
          onClick={() => void attempt(() => appClient().call('serviceRestart', {}))}
        >
          Restart the engine service
        </button>
      ) : null}
    </div>
  );
}

/** Every dialog and message layer. */
export function Dialogs(): JSX.Element {
  return (
    <>
      <ServiceBanner />
      <OpenProblems />
      <Notice />
      <PathPrompt />
      <Confirm />
    </>
  );
}
