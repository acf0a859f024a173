// One link on the canvas: a straight line between node centres. Its width, colour and rate
// label follow the live counters through a transient subscription, without a React render.
import {
  EdgeLabelRenderer,
  getStraightPath,
  useInternalNode,
  type Edge,
  type EdgeProps,
} from '@xyflow/react';
import { memo, useEffect, useRef, type JSX } from 'react';
import type { LinkStatus } from '../../../shared/contract.js';
import { countersStore, formatRate, type LinkRates } from '../store/counters.js';
import { useStore } from '../store/index.js';

/** Data of a link on the canvas. */
export interface LinkEdgeData extends Record<string, unknown> {
  endpoints: [string, string];
}

function centre(n: ReturnType<typeof useInternalNode>): { x: number; y: number } {
  if (!n) return { x: 0, y: 0 };
  const w = n.measured.width ?? 0;
  const h = n.measured.height ?? 0;
  return { x: n.internals.positionAbsolute.x + w / 2, y: n.internals.positionAbsolute.y + h / 2 };
}

/** Applies a link's rates to its path and label elements. */
export function paintLink(
  path: SVGPathElement | null,
  label: HTMLElement | null,
  r: LinkRates | undefined,
): void {
  const fps = r ? r.ab.fps + r.ba.fps : 0;
  const failed = r?.failure !== undefined;
  if (path) {
    // Width grows with the log of the rate: 1 frame/s is visible, 100k frames/s is not absurd.
    path.style.strokeWidth = String(2 + Math.min(8, Math.log10(1 + fps) * 1.6));
    path.style.stroke =
      fps <= 0 ? '' : fps < 100 ? '#2f9e44' : fps < 10_000 ? '#f08c00' : '#e03131';
    // A link whose port failed is drawn broken, whatever it carried before.
    path.classList.toggle('failed', failed);
  }
  if (label) {
    label.textContent = failed
      ? 'failed'
      : r
        ? `→ ${formatRate(r.ab.fps)}  ← ${formatRate(r.ba.fps)} f/s`
        : '';
    label.title = failed
      ? (r?.failure ?? '')
      : r
        ? `A→B ${formatRate(r.ab.fps)} frames/s, ${formatRate(r.ab.bps)} B/s\nB→A ${formatRate(r.ba.fps)} frames/s, ${formatRate(r.ba.bps)} B/s\ntotal ${r.frames} frames`
        : '';
    label.dataset['frames'] = String(r?.frames ?? 0);
    label.style.display = r ? '' : 'none';
  }
}

/** The impairment in force on a link, one line per impaired direction ("" when none). */
export function impairSummary(status: LinkStatus | undefined): string {
  const lines: string[] = [];
  for (const dir of ['a->b', 'b->a'] as const) {
    const st = status?.impair?.[dir];
    if (st?.active) lines.push(`${dir}: ${st.text}`);
  }
  return lines.join('\n');
}

/** Marks a link impaired (dashed path, "~" badge, the impairment as their title), or not. */
export function paintImpair(
  path: SVGPathElement | null,
  title: Element | null,
  badge: HTMLElement | null,
  status: LinkStatus | undefined,
): void {
  const text = impairSummary(status);
  const impaired = text !== '';
  if (path) {
    path.classList.toggle('impaired', impaired);
    if (impaired) path.dataset['impair'] = text;
    else delete path.dataset['impair'];
  }
  if (title) title.textContent = impaired ? `impaired\n${text}` : '';
  if (badge) {
    badge.style.display = impaired ? '' : 'none';
    badge.title = text;
  }
}

function LinkEdgeView({
  id,
  source,
  target,
  selected,
  data,
}: EdgeProps<Edge<LinkEdgeData, 'link'>>): JSX.Element {
  const s = centre(useInternalNode(source));
  const t = centre(useInternalNode(target));
  const [path, lx, ly] = getStraightPath({
    sourceX: s.x,
    sourceY: s.y,
    targetX: t.x,
    targetY: t.y,
  });
  const pathRef = useRef<SVGPathElement>(null);
  const labelRef = useRef<HTMLDivElement>(null);
  // React types <title> as HTML's even inside an SVG; only its text is set.
  const titleRef = useRef<HTMLTitleElement>(null);
  const badgeRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    paintLink(pathRef.current, labelRef.current, countersStore.getState().links.get(id));
    return countersStore.subscribe((st) =>
      paintLink(pathRef.current, labelRef.current, st.links.get(id)),
    );
  }, [id]);
  useEffect(() => {
    // The lab's link statuses change rarely (launch, stop, impairments set): painted via the
    // DOM like the counters, so no render of the canvas follows.
    const paint = (links: readonly LinkStatus[]): void =>
      paintImpair(
        pathRef.current,
        titleRef.current,
        badgeRef.current,
        links.find((l) => l.id === id),
      );
    paint(useStore.getState().links);
    return useStore.subscribe((st, prev) => {
      if (st.links !== prev.links) paint(st.links);
    });
  }, [id]);
  return (
    <>
      <path d={path} className="link-hit" fill="none" strokeWidth={14} stroke="transparent" />
      <path
        ref={pathRef}
        d={path}
        className={`link-path ${selected ? 'selected' : ''}`}
        fill="none"
        data-testid={`link-${id}`}
      >
        <title ref={titleRef} />
      </path>
      <EdgeLabelRenderer>
        <div
          ref={labelRef}
          className="link-rate nodrag nopan"
          data-testid={`rate-${id}`}
          style={{
            transform: `translate(-50%, -50%) translate(${lx}px, ${ly}px)`,
            display: 'none',
          }}
        />
        <div
          ref={badgeRef}
          className="link-impair nodrag nopan"
          data-testid={`impair-${id}`}
          style={{
            transform: `translate(-50%, -140%) translate(${lx}px, ${ly}px)`,
            display: 'none',
          }}
        >
          ~
        </div>
        {selected ? (
          <div
            className="link-ends nodrag nopan"
            style={{ transform: `translate(-50%, 60%) translate(${lx}px, ${ly}px)` }}
          >
            {data?.endpoints.join(' — ')}
          </div>
        ) : null}
      </EdgeLabelRenderer>
    </>
  );
}

/** The link component. */
export const LinkEdge = memo(LinkEdgeView);
