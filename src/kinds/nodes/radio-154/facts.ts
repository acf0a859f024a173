// The facts of the "radio-154" node kind (see NodeKindFacts). No zod here.
import type { Radio154NodeSpec } from './definition.js';
import { defineNodeKindFacts } from '../../../shared/topology/kinds/types.js';

/** How a medium decides whether a member hears a frame. */
export const RADIO_DELIVERY_MODELS = ['all', 'matrix', 'range'] as const;

/** One delivery model. */
export type RadioDelivery = (typeof RADIO_DELIVERY_MODELS)[number];

/** The link kind that joins a node to a radio medium. */
export const RADIO_LINK_KIND = 'uart-pipe-154';

/** Largest seed: the PRNG takes a 32-bit unsigned seed. */
export const MAX_RADIO_SEED = 2 ** 32 - 1;

/** The radio-154 kind's facts. */
export const radio154Facts = defineNodeKindFacts<Radio154NodeSpec>()({
  kind: 'radio-154',
  icon: 'radio',
  description:
    'An IEEE 802.15.4 radio medium with any number of members; link to it by its bare name.',
  attach: 'bare',
  linkKind: RADIO_LINK_KIND,
});
