// The "ethernet" link kind: Ethernet II frames between two ports. It is the default kind, so
// its `kind` may be omitted.
import { z } from 'zod';
import { mtuSchema } from '../../../shared/topology/fields.js';
import {
  defineLinkKind,
  impairSchema,
  linkBaseShape,
} from '../../../shared/topology/links/types.js';

/** Settings of an Ethernet link. */
export const ethernetLinkSchema = z
  .strictObject({
    name: linkBaseShape.name,
    kind: z.literal('ethernet').default('ethernet'),
    endpoints: linkBaseShape.endpoints,
    mtu: mtuSchema.optional(),
    up: linkBaseShape.up,
    impair: impairSchema.optional(),
  })
  .meta({ title: 'ethernet link', description: 'An Ethernet link (the default kind).' });

/** The Ethernet link kind. */
export const ethernetLinkKind = defineLinkKind({
  kind: 'ethernet',
  description: 'Ethernet II frames between two ports.',
  linkType: 'ethernet',
  schema: ethernetLinkSchema,
});
