// The "switch" node kind: a learning Ethernet switch in the engine's fabric. Links attach to it
// by its bare name, and each link gets an implicit port.
import { z } from 'zod';
import { intRange, mtuSchema } from '../fields.js';
import { defineNodeKind } from './types.js';

/** Default MAC aging time in seconds, the same as the Linux bridge default. */
export const DEFAULT_SWITCH_AGING = 300;

/** Settings of a switch node. */
export const switchSchema = z
  .strictObject({
    kind: z.literal('switch'),
    aging: intRange('aging', 1, 86400, 'Seconds a learned MAC address stays in the table.').default(
      DEFAULT_SWITCH_AGING,
    ),
    mtu: mtuSchema.optional(),
  })
  .meta({
    title: 'switch',
    description: 'A learning Ethernet switch; link to it by its bare name.',
  });

/** A switch node as validated. */
export type SwitchNodeSpec = z.output<typeof switchSchema>;

/** The switch kind. */
export const switchKind = defineNodeKind({
  kind: 'switch',
  description: 'A learning Ethernet switch; link to it by its bare name.',
  schema: switchSchema,
  attach: 'bare',
});
