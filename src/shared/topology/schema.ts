// The topology document schema (format v1). The JSON Schema shipped for editors is generated
// from this same object.
import { z } from 'zod';
import type { NetworkMode } from '../kinds.js';
import { expected, labNameSchema, nodeNameSchema, oneOf } from './fields.js';
import { nodeSpecSchema } from './kinds/index.js';
import { faultsSchema } from './faults.js';
import { linkSpecSchema } from './links/index.js';

/** Where the lab's network lives; the first is the default. */
export const NETWORK_MODES = ['isolated', 'host'] as const satisfies readonly NetworkMode[];

/** The whole topology document. */
export const topologySchema = z
  .strictObject(
    {
      name: labNameSchema,
      network: oneOf(
        NETWORK_MODES,
        'network mode',
        "isolated (default): a private user and network namespace, no privileges. host: the machine's own namespace (needs CAP_NET_ADMIN).",
      ).default('isolated'),
      nodes: z
        .record(nodeNameSchema, nodeSpecSchema, {
          error: expected(
            'a map of node name to node settings, e.g. h1: {kind: host}',
            "nodes: with the lab's nodes, e.g. h1: {kind: host}",
          ),
        })
        .meta({ description: 'Nodes by name.' }),
      links: z
        .array(linkSpecSchema, {
          error: expected('a list of links, e.g. - endpoints: [h1:eth0, sw]'),
        })
        .default(() => [])
        .meta({ description: 'Links between node ports and switches.' }),
      faults: faultsSchema.optional(),
    },
    { error: expected('a map with the keys name, network, nodes, links and faults') },
  )
  .meta({
    title: 'netweave topology',
    description: 'A netweave lab: nodes and the links between them.',
  });

/** A validated topology, with defaults applied. */
export type Topology = z.output<typeof topologySchema>;

/** A topology as written (defaults not applied). */
export type TopologyInput = z.input<typeof topologySchema>;
