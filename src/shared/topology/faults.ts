// The fault timeline of a lab (issue 10): `faults:` in the topology file, each fault an action on
// a link or a node at a time after the lab is ready, once or every so often, undone after `for`.
import { z } from 'zod';
import { parseImpairment } from '../impairment.js';
import { linkId } from './endpoint.js';
import { expected, oneOf } from './fields.js';
import type { PathIssue } from './issues.js';
import {
  DURATION_RE,
  faultPair,
  LINK_FAULT_ACTIONS,
  NODE_FAULT_ACTIONS,
  PAIR_RE,
  parseDurationMs,
} from './faults.facts.js';
import { listChoices, listSome } from './text.js';

export * from './faults.facts.js';

const duration = (what: string): z.ZodString =>
  z
    .string({ error: expected('a time such as 500ms, 5s or 2m') })
    .regex(DURATION_RE, { error: expected('a time such as 500ms, 5s or 2m') })
    .meta({ description: what });

/** One scheduled fault. */
export const faultSchema = z
  .strictObject({
    at: duration('When it first happens, after the lab is ready, e.g. 5s.'),
    every: duration('Repeat it this often (from `at`) while the lab runs.').optional(),
    for: duration('Undo it after this long: down->up, impair->clear, stop->start.').optional(),
    link: z
      .string({ error: expected('a link id or name, e.g. h1:eth0--sw') })
      .meta({ description: 'The link it acts on (its name, or "a--b" of its endpoints).' })
      .optional(),
    node: z
      .string({ error: expected('a node name') })
      .meta({ description: 'The node it acts on.' })
      .optional(),
    action: oneOf(
      [...LINK_FAULT_ACTIONS, ...NODE_FAULT_ACTIONS],
      'fault action',
      'link: down, up, impair, clear; node: stop, start, reset, kill (the crash its supervisor sees).',
    ),
    impair: z
      .string({ error: expected('netem-style settings such as "delay=20ms loss=1%"') })
      .superRefine((text, ctx) => {
        const parsed = parseImpairment(text);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
      })
      .meta({ description: 'With action impair: the impairment, in netem words.' })
      .optional(),
    dir: z
      .enum(['a->b', 'b->a'], { error: expected('a->b or b->a') })
      .meta({ description: 'With impair or clear: one direction only (default both).' })
      .optional(),
    pair: z
      .string({ error: expected('SENDER->RECEIVER, e.g. z1->z2') })
      .regex(PAIR_RE, { error: expected('SENDER->RECEIVER, e.g. z1->z2') })
      .meta({
        description:
          'With impair or clear on a radio-154 medium: one sender -> receiver pair of its members (default every pair).',
      })
      .optional(),
  })
  .meta({
    description: 'A fault: an action on a link or a node at a time after the lab is ready.',
  });

/** One fault as validated. */
export type FaultSpec = z.output<typeof faultSchema>;

/** The list under `faults:`. */
export const faultsSchema = z
  .array(faultSchema, {
    error: expected('a list of faults, e.g. - {at: 5s, link: h1:eth0--sw, action: down}'),
  })
  .meta({ description: 'Scheduled faults, in the order written; same file, same timeline.' });

/** The node kind whose faults are impairments of its pairs. */
const RADIO_KIND = 'radio-154';

/** Problems of a fault on a radio-154 medium: impair or clear, per sender -> receiver pair. */
function mediumFaultIssues(
  f: FaultSpec,
  nodeNames: ReadonlySet<string>,
  at: (key: string, message: string) => void,
): void {
  if (f.action !== 'impair' && f.action !== 'clear') {
    at(
      'action',
      `a ${RADIO_KIND} medium takes impair or clear (per sender -> receiver pair), not "${f.action}"`,
    );
  }
  if (f.dir !== undefined) {
    at('dir', 'a medium has no link directions; name a sender -> receiver pair with pair:');
  }
  const pair = faultPair(f);
  for (const member of pair ? [pair.from, pair.to] : []) {
    if (!nodeNames.has(member)) at('pair', `"${member}" in pair: is not a node of this lab`);
  }
}

/**
 * Problems of the fault list against the lab's nodes (name -> kind) and links. impair and clear
 * act on links, and on a radio-154 medium (loss per sender -> receiver pair).
 */
export function faultIssues(
  faults: readonly FaultSpec[] | undefined,
  nodeKinds: Readonly<Record<string, string>>,
  links: readonly {
    name?: string | undefined;
    kind?: string | undefined;
    endpoints: readonly [string, string] | readonly [string];
  }[],
): PathIssue[] {
  if (faults === undefined) return [];
  const linkIds = new Set(links.map((l) => linkId(l)));
  const nodes = Object.keys(nodeKinds);
  const nodeNames = new Set(nodes);
  const issues: PathIssue[] = [];
  faults.forEach((f, i) => {
    const at = (key: string, message: string, choices?: string[]): void => {
      issues.push({ path: ['faults', i, key], message, ...(choices ? { choices } : {}) });
    };
    const linkAction = (LINK_FAULT_ACTIONS as readonly string[]).includes(f.action);
    if ((f.link === undefined) === (f.node === undefined)) {
      at('action', 'a fault acts on exactly one target; give either link: or node:');
      return;
    }
    if (f.link !== undefined) {
      if (!linkAction) {
        at(
          'action',
          `"${f.action}" is a node action; a link takes ${listChoices(LINK_FAULT_ACTIONS)}`,
        );
      }
      if (!linkIds.has(f.link)) {
        const ids = [...linkIds];
        at('link', `link "${f.link}" is not in this lab; its links are ${listSome(ids)}`, ids);
      }
    } else if (f.node !== undefined) {
      const radio = nodeKinds[f.node] === RADIO_KIND;
      if (radio) mediumFaultIssues(f, nodeNames, at);
      else if (linkAction) {
        at(
          'action',
          `"${f.action}" is a link action; a node takes ${listChoices(NODE_FAULT_ACTIONS)}, and a ${RADIO_KIND} medium impair or clear`,
        );
      }
      if (!nodeNames.has(f.node)) {
        at('node', `node "${f.node}" is not defined; defined nodes are ${listSome(nodes)}`);
      }
    }
    if (f.pair !== undefined && (f.node === undefined || nodeKinds[f.node] !== RADIO_KIND)) {
      at('pair', `pair: goes with impair or clear on a ${RADIO_KIND} medium only`);
    }
    if ((f.action === 'impair') !== (f.impair !== undefined)) {
      at(
        f.action === 'impair' ? 'action' : 'impair',
        f.action === 'impair'
          ? 'action impair needs impair: with the settings, e.g. impair: "loss=10%"'
          : 'impair: goes with action: impair only',
      );
    }
    if (f.dir !== undefined && f.action !== 'impair' && f.action !== 'clear') {
      at('dir', 'dir: goes with action impair or clear only');
    }
    if (f.every !== undefined && (parseDurationMs(f.every) ?? 0) <= 0) {
      at('every', 'every: must be longer than 0');
    }
    if (f.every !== undefined && f.for !== undefined) {
      const every = parseDurationMs(f.every) ?? 0;
      if ((parseDurationMs(f.for) ?? 0) >= every) {
        at(
          'for',
          `for: must be shorter than every: (${f.every}), or the undo would come after the next time`,
        );
      }
    }
  });
  return issues;
}
