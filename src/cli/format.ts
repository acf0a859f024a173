// Human-readable output of the CLI: tables and counters.
import type {
  CounterSnapshot,
  FaultStatus,
  LabStatus,
  LinkStatus,
  PortCounters,
} from '../shared/contract.js';
import { DROP_CAUSES } from '../shared/kinds.js';

/** Renders rows as a left-aligned table with a header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A lab's status as text. */
export function formatStatus(s: LabStatus): string {
  const head = `lab ${s.name} (${s.id}): ${s.state}${s.reason ? ` - ${s.reason}` : ''}, network ${s.network}, engine pid ${s.enginePid}`;
  const nodes = table(
    ['NODE', 'KIND', 'STATE', 'PORTS', 'DETAIL'],
    s.nodes.map((n) => [
      n.name,
      n.kind,
      n.state,
      n.ports
        .map((p) => {
          const [owner, port] = p.id.split(':');
          return `${owner === n.name ? (port ?? p.id) : p.id}${p.failure !== undefined ? '(failed)' : p.up ? '' : '(down)'}`;
        })
        .join(' ') || '-',
      [
        n.reason ?? (n.pid ? `pid ${n.pid}` : ''),
        ...n.ports.flatMap((p) => (p.failure !== undefined ? [`${p.id}: ${p.failure}`] : [])),
        n.detail ?? '',
      ]
        .filter((x) => x !== '')
        .join('; '),
    ]),
  );
  const impaired = s.links.some((l) => l.impair !== undefined);
  const links = table(
    ['LINK', 'KIND', 'PORTS', ...(impaired ? ['IMPAIRMENT'] : [])],
    s.links.map((l) => [
      l.id,
      l.kind,
      l.ports.join(' '),
      ...(impaired ? [formatLinkImpairment(l) || '-'] : []),
    ]),
  );
  return `${head}\n\n${nodes}\n\n${links}\nlogs: ${s.logDir}`;
}

function drops(p: PortCounters): string {
  const parts: string[] = [];
  for (const cause of DROP_CAUSES) {
    const n = p.rx.drops[cause] + p.tx.drops[cause];
    if (n > 0) parts.push(`${cause}=${n}`);
  }
  return parts.join(' ') || '0';
}

/** A port's kind-specific events (e.g. a SLIP decoder's bad-escape=2), or "-". */
function extras(p: PortCounters): string {
  const parts = Object.entries(p.extra ?? {}).map(([event, n]) => `${event}=${n}`);
  return parts.join(' ') || '-';
}

/**
 * Per-port counters as text, each port with the link it carries; with a previous snapshot,
 * frame rates too.
 */
export function formatCounters(
  snap: CounterSnapshot,
  links: readonly LinkStatus[] = [],
  prev?: CounterSnapshot,
): string {
  const dt = prev ? (snap.time - prev.time) / 1000 : 0;
  const before = new Map(prev?.ports.map((p) => [p.port, p]));
  const linkOf = new Map<string, string>();
  for (const l of links) for (const p of l.ports) linkOf.set(p, l.id);
  // Kind-specific events (codec errors, medium losses) get a column when any port has some.
  const withEvents = snap.ports.some((p) => p.extra !== undefined);
  const rows = snap.ports.map((p) => {
    const row = [
      linkOf.get(p.port) ?? '-',
      p.port,
      p.linkType,
      String(p.rx.frames),
      String(p.rx.bytes),
      String(p.tx.frames),
      String(p.tx.bytes),
      drops(p),
    ];
    if (withEvents) row.push(extras(p));
    const b = before.get(p.port);
    if (dt > 0 && b) {
      row.push(
        `${((p.rx.frames - b.rx.frames) / dt).toFixed(0)}/${((p.tx.frames - b.tx.frames) / dt).toFixed(0)}`,
      );
    }
    return row;
  });
  const header = [
    'LINK',
    'PORT',
    'TYPE',
    'RX FRAMES',
    'RX BYTES',
    'TX FRAMES',
    'TX BYTES',
    'DROPS',
  ];
  if (withEvents) header.push('EVENTS');
  if (dt > 0) header.push('RX/TX FRAMES/S');
  const impaired = links.filter((l) => l.impair !== undefined);
  const impairments = impaired.map((l) => `impairment on ${l.id}: ${formatLinkImpairment(l)}`);
  return [
    table(header, rows),
    '(RX: from the node into the fabric; TX: from the fabric to the node)',
    ...impairments,
  ].join('\n');
}

/** The impairment in force on a link, per direction: "a->b delay=20ms; b->a loss=1%". */
export function formatLinkImpairment(l: LinkStatus): string {
  const dirs = (['a->b', 'b->a'] as const).flatMap((d) => {
    const st = l.impair?.[d];
    return st ? [`${d} ${st.text}${st.active ? '' : ' (inert)'}`] : [];
  });
  return dirs.join('; ');
}

/** A lab's fault timeline: each fault, what it did when (seconds after ready), what is next. */
export function formatFaults(faults: readonly FaultStatus[]): string {
  return faults
    .map((f) => {
      const fired = f.fired
        .map(
          (e) =>
            `${(e.atMs / 1000).toFixed(3)} s ${e.action}${e.ok ? '' : ` FAILED (${e.error ?? ''})`}`,
        )
        .join('; ');
      const next = f.nextMs !== undefined ? `${(f.nextMs / 1000).toFixed(3)} s` : '-';
      return `fault ${f.index}: ${f.fault}\n  ran: ${fired || '-'}\n  next: ${next}`;
    })
    .join('\n');
}
