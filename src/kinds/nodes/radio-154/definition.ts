// The "radio-154" node kind: an IEEE 802.15.4 medium with any number of members (ZEPHYR-NETWORKING.md
// sections 8 and 9). Each member is a node's serial port joined by a uart-pipe-154 link; a frame
// one member sends reaches each other member with a probability the delivery model decides: all
// (everyone hears everyone), a sender -> receiver matrix (as net-tools' virtual-hub), or the
// distance between the members' positions on the canvas against a range.
import { z } from 'zod';
import { parseImpairment } from '../../../shared/impairment.js';
import { parseMemberPair } from '../../../shared/topology/faults.js';
import type { PathIssue } from '../../../shared/topology/issues.js';
import { expected, intRange, nodeNameSchema, oneOf } from '../../../shared/topology/fields.js';
import { describeValue, listSome, someChoices } from '../../../shared/topology/text.js';
import {
  MAX_RADIO_SEED,
  RADIO_DELIVERY_MODELS,
  RADIO_LINK_KIND,
  radio154Facts,
  type RadioDelivery,
} from './facts.js';
import {
  defineNodeKind,
  type AttachedLink,
  type KindIssue,
} from '../../../shared/topology/kinds/types.js';

export * from './facts.js';

const probabilitySchema = z
  .number({ error: expected('a probability from 0 to 1') })
  .min(0, { error: (i) => `a probability is from 0 to 1, got ${describeValue(i.input)}` })
  .max(1, { error: (i) => `a probability is from 0 to 1, got ${describeValue(i.input)}` })
  .meta({ description: 'Probability (0-1) that the receiver hears a frame of the sender.' });

const coordinate = z
  .number({ error: expected('a number') })
  .refine(Number.isFinite, { error: 'must be a finite number' });

/** Settings of a radio-154 node. */
export const radio154Schema = z
  .strictObject({
    kind: z.literal('radio-154'),
    delivery: oneOf(
      RADIO_DELIVERY_MODELS,
      'delivery model',
      'Who hears a frame: all (every member hears every other), matrix (probabilities per sender and receiver) or range (distance between positions on the canvas).',
    ).default('all'),
    matrix: z
      .record(
        nodeNameSchema,
        z.record(nodeNameSchema, probabilitySchema, {
          error: expected('a map of receiver to probability, e.g. {z2: 1, z3: 0.5}'),
        }),
        {
          error: expected('a map of sender to {receiver: probability}, e.g. {z1: {z2: 1}}'),
        },
      )
      .optional()
      .meta({
        description:
          'For delivery: matrix. sender -> receiver -> probability (0-1) that the receiver hears the sender; pairs not listed are 0 (never heard).',
      }),
    range: z
      .number({ error: expected('a distance in canvas units, e.g. 150') })
      .positive({ error: (i) => `range must be positive, got ${describeValue(i.input)}` })
      .refine(Number.isFinite, { error: 'range must be a finite number' })
      .optional()
      .meta({
        description:
          'For delivery: range. A member hears another when their positions are at most this far apart (canvas units).',
      }),
    positions: z
      .record(
        nodeNameSchema,
        z.tuple([coordinate, coordinate], { error: expected('a position [x, y]') }),
        { error: expected('a map of member to position [x, y], e.g. {z1: [0, 0]}') },
      )
      .optional()
      .meta({
        description:
          'For delivery: range. Member positions [x, y]; a member not listed takes its position on the canvas (the layout file).',
      }),
    impair: z
      .record(
        z.string({ error: expected('a sender -> receiver pair such as z1->z2') }),
        z.string({ error: expected('netem-style settings such as "delay=20ms loss=1%"') }),
        {
          error: expected(
            'a map of sender->receiver to settings, e.g. {"z1->z2": "delay=20ms loss=20%"}',
          ),
        },
      )
      .optional()
      .meta({
        description:
          'Impairments per sender -> receiver pair of members, on top of the delivery model, in netem words (delay, jitter, loss, rate, duplicate, corrupt, reorder, limit, seed), e.g. {"z1->z2": "delay=20ms loss=20%"}. Faults change them while the lab runs.',
      }),
    seed: intRange(
      'seed',
      0,
      MAX_RADIO_SEED,
      'Seed of the random numbers of matrix delivery, to repeat a run; random (and logged) when absent.',
    ).optional(),
  })
  .meta({
    title: 'radio-154',
    description:
      'An IEEE 802.15.4 radio medium; join qemu serial ports to it by its bare name with uart-pipe-154 links.',
  });

/** A radio-154 node as validated. */
export type Radio154NodeSpec = z.output<typeof radio154Schema>;

/** Checks the settings that belong to one delivery model against the chosen model. */
function checkRadio(spec: Radio154NodeSpec): KindIssue[] {
  const issues: KindIssue[] = [];
  const unused = (key: 'matrix' | 'range' | 'positions', model: RadioDelivery): void => {
    if (spec[key] !== undefined && spec.delivery !== model) {
      issues.push({
        path: [key],
        message: `${key} is used only with delivery: ${model}, but delivery is ${spec.delivery}; set delivery: ${model} or remove ${key}`,
      });
    }
  };
  unused('matrix', 'matrix');
  unused('range', 'range');
  unused('positions', 'range');
  if (spec.delivery === 'matrix' && spec.matrix === undefined) {
    issues.push({
      path: ['delivery'],
      message:
        'delivery: matrix needs a matrix of probabilities; add matrix: {SENDER: {RECEIVER: 0..1}}, e.g. matrix: {z1: {z2: 1}}',
    });
  }
  if (spec.delivery === 'range' && spec.range === undefined) {
    issues.push({
      path: ['delivery'],
      message:
        'delivery: range needs the distance at which members still hear each other; add range: in canvas units, e.g. range: 150',
    });
  }
  for (const [key, text] of Object.entries(spec.impair ?? {})) {
    const pair = parseMemberPair(key);
    if (pair === undefined || pair.from === pair.to) {
      issues.push({
        path: ['impair', key],
        message: `${JSON.stringify(key)} is not a pair of two members; write SENDER->RECEIVER, e.g. "z1->z2"`,
      });
    }
    const parsed = parseImpairment(text);
    if (!parsed.ok) issues.push({ path: ['impair', key], message: parsed.error });
  }
  for (const [from, row] of Object.entries(spec.matrix ?? {})) {
    if (Object.hasOwn(row, from)) {
      issues.push({
        path: ['matrix', from, from],
        message: `a member does not hear its own frames, so ${from} -> ${from} has no meaning; remove it`,
      });
    }
  }
  return issues;
}

/** Checks the names in matrix and positions against the members, and one join per node. */
function checkRadioMembers(
  spec: Radio154NodeSpec,
  node: string,
  links: readonly AttachedLink[],
): PathIssue[] {
  const issues: PathIssue[] = [];
  const joinedBy = new Map<string, AttachedLink>();
  for (const link of links) {
    const j = link.endpoints.findIndex((e) => e !== node);
    const end = link.endpoints[j];
    if (end === undefined) continue;
    const member = end.split(':')[0] ?? end;
    const first = joinedBy.get(member);
    if (first) {
      issues.push({
        path: ['links', link.index, 'endpoints', j],
        message: `node ${JSON.stringify(member)} already joins radio-154 ${JSON.stringify(node)} through links[${first.index}]; a node has one radio, so remove one of the two links`,
      });
      continue;
    }
    joinedBy.set(member, link);
  }
  const members = [...joinedBy.keys()];
  const notMember = (name: string, path: PathIssue['path']): void => {
    if (joinedBy.has(name)) return;
    issues.push({
      path,
      message: `${JSON.stringify(name)} is not a member of radio-154 ${JSON.stringify(node)}; ${members.length > 0 ? `members are ${listSome(members)}` : 'it has no members yet'} (nodes joined to it by ${RADIO_LINK_KIND} links)`,
      choices: someChoices(members),
    });
  };
  for (const [from, row] of Object.entries(spec.matrix ?? {})) {
    notMember(from, ['nodes', node, 'matrix', from]);
    for (const to of Object.keys(row)) {
      if (to !== from) notMember(to, ['nodes', node, 'matrix', from, to]);
    }
  }
  for (const name of Object.keys(spec.positions ?? {})) {
    notMember(name, ['nodes', node, 'positions', name]);
  }
  for (const key of Object.keys(spec.impair ?? {})) {
    const pair = parseMemberPair(key);
    for (const name of pair ? new Set([pair.from, pair.to]) : []) {
      notMember(name, ['nodes', node, 'impair', key]);
    }
  }
  return issues;
}

/** The radio154 kind. */
export const radio154Kind = defineNodeKind({
  ...radio154Facts,
  schema: radio154Schema,
  check: checkRadio,
  checkAttached: checkRadioMembers,
});
