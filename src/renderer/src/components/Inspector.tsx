// The inspector: settings of the selected node (a form generated from its kind's schema) or
// link (its settings, live rates, sparkline, totals and drops, capture), else the lab itself.
import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { isNode } from 'yaml';
import { z } from 'zod';
import type { TopologyProblem } from '../../../shared/contract.js';
import { DROP_CAUSES } from '../../../shared/kinds.js';
import { getValue, readGraph, type Graph, type GraphLink } from '../../../shared/editor/index.js';
import { parseImpairment } from '../../../shared/impairment.js';
import { findNodeKind, validateTopologyText } from '../../../shared/topology/index.js';
import { renameAction, run, setFieldAction } from '../actions.js';
import { capture, impairLink, nodeCommand, openConsole } from '../controller.js';
import { countersStore, formatRate, type LinkRates } from '../store/counters.js';
import { useStore } from '../store/index.js';
import { SchemaForm, type JsonSchema } from './SchemaForm.js';

const schemaCache = new Map<string, JsonSchema | null>();

/** The JSON Schema of a node kind's settings (computed once per kind). */
function kindSchema(kind: string): JsonSchema | null {
  if (!schemaCache.has(kind)) {
    const def = findNodeKind(kind);
    schemaCache.set(
      kind,
      def
        ? (z.toJSONSchema(def.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema)
        : null,
    );
  }
  return schemaCache.get(kind) ?? null;
}

function useProblems(text: string, file: string | null): TopologyProblem[] {
  return useMemo(() => {
    const r = validateTopologyText(text, file ?? 'untitled.yaml');
    return r.ok ? [] : r.problems;
  }, [text, file]);
}

function Sparkline({ id }: { id: string }): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const draw = (r: LinkRates | undefined): void => {
      const c = ref.current;
      const g = c?.getContext('2d');
      if (!c || !g) return;
      g.clearRect(0, 0, c.width, c.height);
      const h = r?.history ?? [];
      if (h.length < 2) return;
      const max = Math.max(1, ...h);
      g.strokeStyle = '#1c7ed6';
      g.lineWidth = 1.5;
      g.beginPath();
      h.forEach((v, i) => {
        const x = (i / (h.length - 1)) * c.width;
        const y = c.height - (v / max) * (c.height - 2) - 1;
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      });
      g.stroke();
    };
    draw(countersStore.getState().links.get(id));
    return countersStore.subscribe((s) => draw(s.links.get(id)));
  }, [id]);
  return <canvas ref={ref} className="sparkline" width={240} height={48} data-testid="sparkline" />;
}

function LinkNumbers({ id }: { id: string }): JSX.Element {
  const ref = useRef<HTMLTableSectionElement>(null);
  useEffect(() => {
    const paint = (r: LinkRates | undefined): void => {
      const body = ref.current;
      if (!body) return;
      const rows: [string, string][] = r
        ? [
            ['A→B', `${formatRate(r.ab.fps)} frames/s, ${formatRate(r.ab.bps)} B/s`],
            ['B→A', `${formatRate(r.ba.fps)} frames/s, ${formatRate(r.ba.bps)} B/s`],
            ['total', `${r.frames} frames, ${r.bytes} bytes`],
            ...DROP_CAUSES.map((c): [string, string] => [`drops: ${c}`, String(r.drops[c])]),
            ...Object.entries(r.extra).map(([e, n]): [string, string] => [e, String(n)]),
          ]
        : [['counters', 'launch the lab to see live counters']];
      body.replaceChildren(
        ...rows.map(([k, v]) => {
          const tr = document.createElement('tr');
          const th = document.createElement('th');
          th.textContent = k;
          const td = document.createElement('td');
          td.textContent = v;
          tr.append(th, td);
          return tr;
        }),
      );
    };
    paint(countersStore.getState().links.get(id));
    return countersStore.subscribe((s) => paint(s.links.get(id)));
  }, [id]);
  return (
    <table className="link-details" data-testid="link-details">
      <tbody ref={ref} />
    </table>
  );
}

type Direction = 'a->b' | 'b->a';

const DIRECTIONS: readonly Direction[] = ['a->b', 'b->a'];

/** A short test id for a direction ("ab", "ba"). */
function dirId(dir: Direction): string {
  return dir === 'a->b' ? 'ab' : 'ba';
}

/** The impairment text of each direction as the document writes it on link `index`. */
function writtenImpair(text: string, index: number): Partial<Record<Direction, string>> {
  const raw = getValue(text, ['links', index, 'impair']);
  // A mapping comes back as the document's node, a string as itself.
  const v: unknown = isNode(raw) ? raw.toJSON() : raw;
  if (typeof v === 'string') return { 'a->b': v, 'b->a': v };
  const out: Partial<Record<Direction, string>> = {};
  if (typeof v === 'object' && v !== null) {
    const rec = v as Record<string, unknown>;
    for (const d of DIRECTIONS) {
      const t = rec[d];
      if (typeof t === 'string') out[d] = t;
    }
  }
  return out;
}

/** Writes one direction's impairment (null: none) into link `index` of the document. */
function writeImpair(index: number, dir: Direction, spec: string | null): void {
  const now = writtenImpair(useStore.getState().doc.text, index);
  if (spec === null) delete now[dir];
  else now[dir] = spec;
  const value =
    now['a->b'] === undefined && now['b->a'] === undefined
      ? undefined
      : now['a->b'] !== undefined && now['a->b'] === now['b->a']
        ? now['a->b']
        : now;
  run(setFieldAction, { path: ['links', index, 'impair'], value });
}

function ImpairDirection({
  link,
  dir,
  running,
  now,
}: {
  link: GraphLink;
  dir: Direction;
  running: boolean;
  /** What is in force (running lab) or written in the file (else); "" for none. */
  now: string;
}): JSX.Element {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const parsed = text.trim() === '' ? null : parseImpairment(text);
  const error = parsed && !parsed.ok ? parsed.error : null;
  const [from, to] = dir === 'a->b' ? link.endpoints : [link.endpoints[1], link.endpoints[0]];
  const id = dirId(dir);
  const apply = async (spec: string | null): Promise<void> => {
    if (!running) {
      writeImpair(link.index, dir, spec);
      if (spec === null) setText('');
      return;
    }
    setBusy(true);
    try {
      const st = await impairLink(link.id, dir, spec);
      if (st && spec === null) setText('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={`field impair-dir ${error ? 'invalid' : ''}`}>
      <span className="field-name">
        {from} → {to}
      </span>
      <input
        value={text}
        placeholder="delay=20ms jitter=5ms loss=1%"
        spellCheck={false}
        data-testid={`impair-${id}`}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && parsed?.ok && !busy) void apply(text.trim());
        }}
      />
      {error ? (
        <ul className="field-problems" data-testid={`impair-error-${id}`}>
          <li>{error}</li>
        </ul>
      ) : null}
      <div className="buttons">
        <button
          type="button"
          disabled={busy || !parsed?.ok}
          data-testid={`impair-apply-${id}`}
          onClick={() => void apply(text.trim())}
        >
          Apply
        </button>
        <button
          type="button"
          disabled={busy || now === ''}
          data-testid={`impair-clear-${id}`}
          onClick={() => void apply(null)}
        >
          Clear
        </button>
      </div>
      <span className="muted impair-now" data-testid={`impair-now-${id}`}>
        {running ? 'in force: ' : 'in the file: '}
        {now === '' ? 'none' : now}
      </span>
    </div>
  );
}

/**
 * A link's impairments, per direction: on the running lab (labLinkImpair), else the link's
 * `impair:` field in the document.
 */
function ImpairForm({ link, running }: { link: GraphLink; running: boolean }): JSX.Element {
  const status = useStore((s) => s.links.find((l) => l.id === link.id));
  const text = useStore((s) => s.doc.text);
  const written = useMemo(() => writtenImpair(text, link.index), [text, link.index]);
  const now = (dir: Direction): string => {
    if (!running) return written[dir] ?? '';
    const st = status?.impair?.[dir];
    return st?.active ? st.text : '';
  };
  return (
    <fieldset className="impair-form" data-testid="impair-form">
      <legend>impairments {running ? '(running lab)' : '(topology file)'}</legend>
      {DIRECTIONS.map((dir) => (
        <ImpairDirection key={dir} link={link} dir={dir} running={running} now={now(dir)} />
      ))}
    </fieldset>
  );
}

function LinkInspector({
  graph,
  id,
  problems,
}: {
  graph: Graph;
  id: string;
  problems: TopologyProblem[];
}): JSX.Element {
  const link = graph.links.find((l) => l.id === id);
  const running = useStore((s) => s.labState === 'running');
  if (!link) return <p>The link is gone.</p>;
  const mine = problems.filter((p) => p.path[0] === 'links' && p.path[1] === link.index);
  return (
    <div className="inspector-body" data-testid="link-inspector">
      <h3>link {link.id}</h3>
      <p className="muted">
        A = {link.endpoints[0]}, B = {link.endpoints[1]}
      </p>
      <Sparkline id={link.id} />
      <LinkNumbers id={link.id} />
      {link.endpoints.length === 2 ? <ImpairForm link={link} running={running} /> : null}
      <div className="buttons">
        <button type="button" disabled={!running} onClick={() => void capture(link.id)}>
          Capture link
        </button>
        {link.endpoints
          .filter((e) => e.includes(':'))
          .map((e) => (
            <button key={e} type="button" disabled={!running} onClick={() => void capture(e)}>
              Capture {e}
            </button>
          ))}
      </div>
      {mine.length > 0 ? (
        <ul className="field-problems">
          {mine.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function NodeInspector({
  graph,
  name,
  problems,
}: {
  graph: Graph;
  name: string;
  problems: TopologyProblem[];
}): JSX.Element {
  const node = graph.nodes.find((n) => n.name === name);
  const lab = useStore((s) => s.lab);
  const labState = useStore((s) => s.labState);
  const rt = useStore((s) => s.nodeStates[name]);
  if (!node) return <p>The node is gone.</p>;
  const schema = kindSchema(node.kind);
  const running = labState === 'running' && lab !== null;
  return (
    <div className="inspector-body" data-testid="node-inspector">
      <h3>
        <input
          className="node-name"
          defaultValue={node.name}
          key={node.name}
          data-testid="node-name"
          onKeyDown={(e) => {
            if (e.key === 'Enter')
              run(renameAction, { from: node.name, to: e.currentTarget.value.trim() });
          }}
        />
      </h3>
      <p className="muted">
        {findNodeKind(node.kind)?.description ?? `unknown kind "${node.kind}"`}
      </p>
      {rt ? (
        <p className={`runtime state-${rt.state}`}>
          {rt.state}
          {rt.reason ? `: ${rt.reason}` : ''}
        </p>
      ) : null}
      <div className="buttons">
        <button
          type="button"
          disabled={!running}
          data-testid="open-console"
          onClick={() => openConsole(name)}
        >
          Console
        </button>
        <button type="button" disabled={!running} onClick={() => void nodeCommand(name, 'start')}>
          Start
        </button>
        <button type="button" disabled={!running} onClick={() => void nodeCommand(name, 'stop')}>
          Stop
        </button>
      </div>
      {schema ? (
        <SchemaForm
          schema={schema}
          value={node.spec}
          base={['nodes', name]}
          problems={problems}
          onSet={(path, value) => run(setFieldAction, { path: ['nodes', name, ...path], value })}
        />
      ) : null}
    </div>
  );
}

function LabInspector({
  graph,
  problems,
}: {
  graph: Graph;
  problems: TopologyProblem[];
}): JSX.Element {
  return (
    <div className="inspector-body" data-testid="lab-inspector">
      <h3>lab</h3>
      <label className="field">
        <span className="field-name">name</span>
        <input
          key={graph.name}
          defaultValue={graph.name}
          data-testid="lab-name"
          onBlur={(e) => {
            if (e.target.value !== graph.name)
              run(setFieldAction, { path: ['name'], value: e.target.value });
          }}
        />
      </label>
      <p className="muted">
        {graph.nodes.length} nodes, {graph.links.length} links
      </p>
      {problems.length > 0 ? (
        <>
          <h4>Problems</h4>
          <ul className="field-problems" data-testid="doc-problems">
            {problems.map((p, i) => (
              <li key={i}>
                {p.line}:{p.column}: {p.message}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="ok">The topology is valid.</p>
      )}
    </div>
  );
}

/** The inspector panel. */
export function Inspector(): JSX.Element {
  const text = useStore((s) => s.doc.text);
  const file = useStore((s) => s.file);
  const selection = useStore((s) => s.selection);
  const graph = useMemo(() => readGraph(text), [text]);
  const problems = useProblems(text, file);
  let body: JSX.Element;
  const [node] = selection.nodes;
  const [link] = selection.links;
  if (selection.nodes.length + selection.links.length > 1) {
    body = (
      <p className="inspector-body">
        {selection.nodes.length} nodes and {selection.links.length} links selected
      </p>
    );
  } else if (node !== undefined)
    body = <NodeInspector graph={graph} name={node} problems={problems} />;
  else if (link !== undefined) body = <LinkInspector graph={graph} id={link} problems={problems} />;
  else body = <LabInspector graph={graph} problems={problems} />;
  return (
    <aside className="inspector" aria-label="Inspector">
      {body}
    </aside>
  );
}
