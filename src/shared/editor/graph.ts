// A tolerant reading of topology text into the graph the canvas draws: it works on files that
// do not validate (a half-edited document still has nodes and links to show).
import { parseDocument } from 'yaml';
import { linkId, parseEndpoint, type Endpoint } from '../topology/index.js';

/** A node as written in the document. */
export interface GraphNode {
  name: string;
  /** The kind as written ("" when missing or not a string). */
  kind: string;
  /** The node's settings as plain data. */
  spec: Record<string, unknown>;
}

/** A link as written in the document. */
export interface GraphLink {
  /** Index in the `links` list. */
  index: number;
  /** The id the engine uses for it: its name, else "A--B". */
  id: string;
  endpoints: [string, string];
  ends: [Endpoint, Endpoint];
}

/** The canvas's view of a document. */
export interface Graph {
  name: string;
  nodes: GraphNode[];
  links: GraphLink[];
  /** Set when the text is not YAML at all (the canvas keeps what it had). */
  syntaxError?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the nodes and links of topology text, skipping whatever is malformed. */
export function readGraph(text: string): Graph {
  const doc = parseDocument(text, { uniqueKeys: false });
  const syntax = doc.errors[0];
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch {
    data = undefined;
  }
  const graph: Graph = { name: '', nodes: [], links: [] };
  if (syntax) graph.syntaxError = syntax.message;
  if (!isRecord(data)) return graph;
  if (typeof data['name'] === 'string') graph.name = data['name'];
  const nodes = data['nodes'];
  if (isRecord(nodes)) {
    for (const [name, spec] of Object.entries(nodes)) {
      const s = isRecord(spec) ? spec : {};
      graph.nodes.push({ name, kind: typeof s['kind'] === 'string' ? s['kind'] : '', spec: s });
    }
  }
  const links = data['links'];
  if (Array.isArray(links)) {
    links.forEach((link: unknown, index) => {
      if (!isRecord(link)) return;
      const eps = link['endpoints'];
      if (!Array.isArray(eps) || eps.length !== 2) return;
      const [a, b] = eps as unknown[];
      if (typeof a !== 'string' || typeof b !== 'string') return;
      const ea = parseEndpoint(a);
      const eb = parseEndpoint(b);
      if (!ea || !eb) return;
      const name = typeof link['name'] === 'string' ? link['name'] : undefined;
      graph.links.push({
        index,
        id: linkId({ name, endpoints: [a, b] }),
        endpoints: [a, b],
        ends: [ea, eb],
      });
    });
  }
  return graph;
}
