// Console tabs under the canvas: one per opened node console.
import type { JSX } from 'react';
import { appClient, attempt } from '../controller.js';
import { useStore } from '../store/index.js';
import { ConsoleView } from './ConsoleView.js';

function popOut(lab: string, node: string, nativePopOut: boolean): void {
  if (nativePopOut) {
    void attempt(() => appClient().call('consolePopOut', { lab, node }));
    return;
  }
  const url = new URL(window.location.href);
  url.hash = `console=${encodeURIComponent(lab)}/${encodeURIComponent(node)}`;
  window.open(url.toString(), `netweave-${lab}-${node}`, 'popup,width=900,height=600');
}

/** The console panel (hidden when no console is open). */
export function ConsolePanel({ nativePopOut }: { nativePopOut: boolean }): JSX.Element | null {
  const tabs = useStore((s) => s.tabs);
  const active = useStore((s) => s.activeTab);
  const setActive = useStore((s) => s.setActiveTab);
  const close = useStore((s) => s.closeTab);
  if (tabs.length === 0) return null;
  const tab = tabs[active] ?? tabs[0];
  return (
    <section className="console-panel" aria-label="Consoles">
      <div className="tabs" role="tablist">
        {tabs.map((t, i) => (
          <div
            key={`${t.lab}/${t.node}`}
            className={`tab ${i === active ? 'active' : ''}`}
            role="tab"
          >
            <button
              type="button"
              className="tab-name"
              data-testid={`tab-${t.node}`}
              onClick={() => setActive(i)}
            >
              {t.node}
            </button>
            <button
              type="button"
              className="tab-close"
              aria-label={`close ${t.node}`}
              onClick={() => close(i)}
            >
              ×
            </button>
          </div>
        ))}
      </div>
      {tab ? (
        <ConsoleView
          key={`${tab.lab}/${tab.node}`}
          lab={tab.lab}
          node={tab.node}
          popOut={() => popOut(tab.lab, tab.node, nativePopOut)}
        />
      ) : null}
    </section>
  );
}
