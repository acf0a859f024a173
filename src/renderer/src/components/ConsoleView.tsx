// One node console in xterm.js: scrollback replayed on open, live output acknowledged after it
// is drawn (flow control reaches the service), input, resize, search and copy.
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState, type JSX } from 'react';
import type { AppEvents } from '../../../shared/contract.js';
import { DisposableStore, toDisposable } from '../../../shared/lifecycle.js';
import { appClient } from '../controller.js';

/** Resize messages are sent at most this often while a panel is dragged. */
const RESIZE_DEBOUNCE_MS = 100;

/** A console of one node of one lab. */
export function ConsoleView({
  lab,
  node,
  popOut,
}: {
  lab: string;
  node: string;
  popOut?: () => void;
}): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const search = useRef<SearchAddon | null>(null);
  const term = useRef<Terminal | null>(null);
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('connecting');

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const store = new DisposableStore();
    const client = appClient();
    const t = new Terminal({
      convertEol: false,
      scrollback: 10_000,
      fontFamily: 'ui-monospace, Menlo, Consolas, monospace',
      fontSize: 13,
      theme: { background: '#101418' },
    });
    term.current = t;
    const fit = new FitAddon();
    const finder = new SearchAddon();
    search.current = finder;
    t.loadAddon(fit);
    t.loadAddon(finder);
    t.open(el);
    store.add(toDisposable(() => t.dispose()));
    let viewer: string | undefined;
    let expected = 0;
    const pending: AppEvents['consoleOutput'][] = [];
    const show = (e: AppEvents['consoleOutput']): void => {
      let data = e.data;
      if (e.offset > expected) {
        t.write(
          `\r\n\x1b[33m[netweave: ${e.offset - expected} characters skipped while this console was behind]\x1b[0m\r\n`,
        );
      } else if (e.offset < expected) {
        data = data.slice(expected - e.offset);
      }
      expected = e.offset + e.data.length;
      const chars = e.data.length;
      // Acknowledge once xterm has parsed it: that is what keeps a flood from freezing the tab.
      t.write(data, () => {
        if (viewer) void client.call('consoleAck', { viewer, chars }).catch(() => undefined);
      });
    };
    store.add(
      client.on('consoleOutput', (e) => {
        if (e.lab !== lab || e.node !== node) return;
        if (viewer === undefined) pending.push(e);
        else if (e.viewer === viewer) show(e);
      }),
    );
    let disposed = false;
    void client
      .call('consoleAttach', { lab, node })
      .then((r) => {
        if (disposed) {
          void client.call('consoleDetach', { viewer: r.viewer }).catch(() => undefined);
          return;
        }
        viewer = r.viewer;
        expected = r.offset;
        t.write(r.data);
        for (const e of pending.splice(0)) if (e.viewer === r.viewer) show(e);
        setStatus('attached');
        store.add(
          toDisposable(
            () => void client.call('consoleDetach', { viewer: r.viewer }).catch(() => undefined),
          ),
        );
      })
      .catch((err: unknown) => setStatus(err instanceof Error ? err.message : String(err)));
    store.add(
      t.onData(
        (data) => void client.call('labConsoleWrite', { lab, node, data }).catch(() => undefined),
      ),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const resize = (): void => {
      if (el.clientWidth === 0 || el.clientHeight === 0) return;
      fit.fit();
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        void client
          .call('labConsoleResize', { lab, node, cols: t.cols, rows: t.rows })
          .catch(() => undefined);
      }, RESIZE_DEBOUNCE_MS);
    };
    const ro = new ResizeObserver(resize);
    ro.observe(el);
    store.add(
      toDisposable(() => {
        ro.disconnect();
        if (timer !== undefined) clearTimeout(timer);
      }),
    );
    resize();
    t.focus();
    return () => {
      disposed = true;
      void store.dispose();
      term.current = null;
      search.current = null;
    };
  }, [lab, node]);

  return (
    <div className="console-view">
      <div className="console-tools">
        <span className="muted">
          {node} ({status})
        </span>
        <input
          placeholder="search"
          value={query}
          data-testid="console-search"
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              if (e.shiftKey) search.current?.findPrevious(query);
              else search.current?.findNext(query);
            }
          }}
        />
        <button
          type="button"
          className="small"
          onClick={() => {
            const sel = term.current?.getSelection() ?? '';
            if (sel) void navigator.clipboard.writeText(sel).catch(() => undefined);
          }}
        >
          Copy
        </button>
        {popOut ? (
          <button type="button" className="small" onClick={popOut}>
            Pop out
          </button>
        ) : null}
      </div>
      <div className="console-term" ref={host} data-testid={`console-${node}`} />
    </div>
  );
}
