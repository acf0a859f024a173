// Consistency checks that run after the schema accepted the document: links against nodes,
// port use, switch loops, and duplicate addresses per segment.
import { faultIssues } from './faults.js';
import { formatIp, formatMac, parseCidr, parseMac } from './address.js';
import { formatEndpoint, linkId, parseEndpoint, type Endpoint } from './endpoint.js';
import { findNodeKind } from './kinds/index.js';
import type { KindIssue } from './kinds/types.js';
import { findLinkKind, LINK_KINDS } from './links/index.js';
import type { LinkEnd } from './links/types.js';
import type { PathIssue } from './issues.js';
import type { Topology } from './schema.js';
import { describeSegment, resolveSegments, UnionFind, type Segment } from './segments.js';
import { formatPath, listChoices, listSome, someChoices } from './text.js';

type LinkSpec = Topology['links'][number];
type NodeSpec = Topology['nodes'][string];

/**
 * What the link checks look up for every endpoint, computed once per validation: without it,
 * each endpoint would list every node or every port of its node, and a lab with thousands of
 * links would take seconds.
 */
class CheckContext {
  private nodeNames: string[] | undefined;
  private serialEnds: string[] | undefined;
  private readonly declared = new Map<
    string,
    { list: readonly string[]; set: ReadonlySet<string> } | undefined
  >();

  constructor(readonly topology: Topology) {}

  /** The settings of a node; undefined unless the file defines it ("constructor" included). */
  node(name: string): NodeSpec | undefined {
    return Object.hasOwn(this.topology.nodes, name) ? this.topology.nodes[name] : undefined;
  }

  /** Every node name, in file order. */
  names(): string[] {
    this.nodeNames ??= Object.keys(this.topology.nodes);
    return this.nodeNames;
  }

  /** The ports a node declares (undefined: any port name), as a list and a set. */
  declaredPorts(
    name: string,
    spec: NodeSpec,
  ): { list: readonly string[]; set: ReadonlySet<string> } | undefined {
    if (!this.declared.has(name)) {
      const list = findNodeKind(spec.kind)?.declaredPorts?.(spec);
      this.declared.set(name, list === undefined ? undefined : { list, set: new Set(list) });
    }
    return this.declared.get(name);
  }

  /** "node:serialN" for the first serial port of each node that has serial ports. */
  serialPortEnds(): string[] {
    this.serialEnds ??= Object.entries(this.topology.nodes).flatMap(([name, n]) => {
      const first = findNodeKind(n.kind)?.serialPorts?.[0];
      return first === undefined ? [] : [`${name}:${first}`];
    });
    return this.serialEnds;
  }
}

/** Checks each node with its kind's own check. */
function checkNodes(topology: Topology): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [name, spec] of Object.entries(topology.nodes)) {
    for (const issue of findNodeKind(spec.kind)?.check?.(spec, name) ?? []) {
      issues.push({ ...issue, path: ['nodes', name, ...issue.path] });
    }
  }
  return issues;
}

/** Checks one endpoint against the nodes; returns the endpoint or undefined after an issue. */
function resolveEndpoint(
  ctx: CheckContext,
  text: string,
  path: PathIssue['path'],
  issues: PathIssue[],
  serialLink: boolean,
): Endpoint | undefined {
  const ep = parseEndpoint(text);
  if (!ep) return undefined;
  const spec = ctx.node(ep.node);
  if (!spec) {
    const nodeNames = ctx.names();
    issues.push({
      path,
      message: `node ${JSON.stringify(ep.node)} is not defined; defined nodes are ${listSome(nodeNames)}`,
      choices: someChoices(nodeNames),
    });
    return undefined;
  }
  const kind = findNodeKind(spec.kind);
  if (!kind) return undefined;
  if (kind.attach === 'bare' && ep.port !== undefined) {
    issues.push({
      path,
      message: `${JSON.stringify(text)} names a port on ${spec.kind} ${JSON.stringify(ep.node)}, but ${spec.kind} ports are implicit; write the bare name ${JSON.stringify(ep.node)}`,
      choices: [ep.node],
    });
    return undefined;
  }
  const declared = ctx.declaredPorts(ep.node, spec);
  if (serialLink && ep.port !== undefined && kind.serialPorts?.includes(ep.port)) return ep;
  if (kind.attach === 'port' && ep.port === undefined) {
    const example = `${ep.node}:${declared?.list[0] ?? 'eth0'}`;
    issues.push({
      path,
      message: `${JSON.stringify(ep.node)} is a ${spec.kind}, which links through a named port; use node:port, e.g. ${JSON.stringify(example)}`,
      choices: someChoices(declared?.list ?? []).map((p) => `${ep.node}:${p}`),
    });
    return undefined;
  }
  if (ep.port !== undefined && declared !== undefined && !declared.set.has(ep.port)) {
    const where =
      kind.portsKey !== undefined
        ? `declare it under ${formatPath(['nodes', ep.node, kind.portsKey])}`
        : 'declare it';
    const noun = kind.portsKey === 'interfaces' ? 'interface' : 'port';
    const serialHint =
      !serialLink && kind.serialPorts?.includes(ep.port)
        ? `; ${JSON.stringify(ep.port)} is a serial port, which only a ${listChoices(SERIAL_LINK_KINDS)} link can use`
        : '';
    issues.push({
      path,
      message: `${spec.kind} ${JSON.stringify(ep.node)} has no ${noun} ${JSON.stringify(ep.port)}; ${where}${declared.list.length > 0 ? ` or use one of ${listSome(declared.list)}` : ''}${serialHint}`,
      choices: someChoices(declared.list),
    });
    return undefined;
  }
  return ep;
}

/** Link kinds carried by a serial port. */
const SERIAL_LINK_KINDS = LINK_KINDS.filter((k) => k.serial === true).map((k) => k.kind);

/** The issue when a serial link's first endpoint is not a serial port. */
function checkSerialEndpoint(
  ctx: CheckContext,
  link: LinkSpec,
  first: Endpoint,
  i: number,
): PathIssue | undefined {
  if (findLinkKind(link.kind)?.serial !== true) return undefined;
  const spec = ctx.node(first.node);
  const serials = (spec && findNodeKind(spec.kind)?.serialPorts) ?? [];
  if (first.port !== undefined && serials.includes(first.port)) return undefined;
  const withSerial = ctx.serialPortEnds();
  return {
    path: ['links', i, 'endpoints', 0],
    message: `a ${link.kind} link starts at a serial port such as "z1:serial1", but ${JSON.stringify(formatEndpoint(first))} is not one${withSerial.length > 0 ? `; serial ports here include ${listSome(withSerial)}` : '; add a qemu node, whose serial ports are serial1-serial3'}`,
    ...(withSerial.length > 0 ? { choices: someChoices(withSerial) } : {}),
  };
}

/** The issue when a link kind limits its endpoints to some node kinds and one is another kind. */
function checkEndpointKinds(
  ctx: CheckContext,
  link: LinkSpec,
  ends: readonly (Endpoint | undefined)[],
  i: number,
): PathIssue | undefined {
  const allowed = findLinkKind(link.kind)?.endpointKinds;
  if (allowed === undefined) return undefined;
  for (const [j, ep] of ends.entries()) {
    if (!ep) continue;
    const kind = ctx.node(ep.node)?.kind ?? '';
    if (ep.port === undefined || !allowed.includes(kind)) {
      return {
        path: ['links', i, 'endpoints', j],
        message: `a ${link.kind} link attaches to a port of a ${listChoices(allowed)} node, but ${JSON.stringify(formatEndpoint(ep))} is ${kind === 'switch' ? 'a switch' : `a ${kind} node`}; use a ${listChoices(allowed)} node's "node:port"`,
      };
    }
  }
  return undefined;
}

/** The link kind's own checks of a link whose endpoints resolved; paths relative to the link. */
function linkKindIssues(
  ctx: CheckContext,
  link: LinkSpec,
  ends: readonly (Endpoint | undefined)[],
): KindIssue[] {
  const kind = findLinkKind(link.kind);
  if (kind?.check === undefined) return [];
  const resolved: LinkEnd[] = [];
  for (const [j, ep] of ends.entries()) {
    const spec = ep ? ctx.node(ep.node) : undefined;
    if (!ep || !spec) return [];
    const serial =
      ep.port !== undefined && (findNodeKind(spec.kind)?.serialPorts?.includes(ep.port) ?? false);
    resolved.push({
      text: link.endpoints[j] ?? formatEndpoint(ep),
      node: ep.node,
      spec,
      ...(ep.port !== undefined ? { port: ep.port } : {}),
      serial,
    });
  }
  return kind.check(link, resolved);
}

/** The issue when a node that fixes its link kind (a radio medium) is joined by another kind. */
function checkFixedLinkKind(
  ctx: CheckContext,
  link: LinkSpec,
  ends: readonly (Endpoint | undefined)[],
  i: number,
): PathIssue | undefined {
  for (const [j, ep] of ends.entries()) {
    const spec = ep ? ctx.node(ep.node) : undefined;
    const fixed = spec ? findNodeKind(spec.kind)?.linkKind : undefined;
    if (!ep || !spec || fixed === undefined || fixed === link.kind) continue;
    return {
      path: ['links', i, 'endpoints', j],
      message: `${spec.kind} ${JSON.stringify(ep.node)} is joined only by ${fixed} links, but this link is of kind ${link.kind}; write kind: ${fixed}`,
    };
  }
  return undefined;
}

/** Runs the checks of bare-attached kinds (a radio medium's members) on the links that passed. */
function checkAttachedNodes(ctx: CheckContext, good: readonly LinkSpec[]): PathIssue[] {
  const { topology } = ctx;
  const checked = Object.entries(topology.nodes).filter(
    ([, spec]) => findNodeKind(spec.kind)?.checkAttached !== undefined,
  );
  if (checked.length === 0) return [];
  const indexOf = new Map<LinkSpec, number>();
  topology.links.forEach((l, i) => indexOf.set(l, i));
  // The links that passed, by each endpoint they name, in link order.
  const byNode = new Map<string, LinkSpec[]>();
  for (const l of good) {
    for (const end of new Set<string>(l.endpoints)) {
      const list = byNode.get(end);
      if (list) list.push(l);
      else byNode.set(end, [l]);
    }
  }
  const issues: PathIssue[] = [];
  for (const [name, spec] of checked) {
    const kind = findNodeKind(spec.kind);
    if (kind?.checkAttached === undefined) continue;
    const attached = (byNode.get(name) ?? []).map((l) => ({
      index: indexOf.get(l) ?? -1,
      kind: l.kind,
      endpoints: l.endpoints,
    }));
    issues.push(...kind.checkAttached(spec, name, attached));
  }
  return issues;
}

/** Checks links; returns the issues and the links that passed (for the segment checks). */
function checkLinks(ctx: CheckContext): { issues: PathIssue[]; good: LinkSpec[] } {
  const { topology } = ctx;
  const issues: PathIssue[] = [];
  const good: LinkSpec[] = [];
  const ids = new Map<string, number>();
  const portUse = new Map<string, number>();
  const uf = new UnionFind();
  topology.links.forEach((link, i) => {
    const id = linkId(link);
    const previous = ids.get(id);
    if (previous !== undefined) {
      issues.push(
        link.name !== undefined
          ? {
              path: ['links', i, 'name'],
              message: `link name ${JSON.stringify(id)} is already used by links[${previous}]; give each link a unique name`,
            }
          : {
              path: ['links', i, 'endpoints'],
              message: `this link repeats links[${previous}] (${id}); remove one of them`,
            },
      );
      return;
    }
    ids.set(id, i);
    const before = issues.length;
    const serialLink = findLinkKind(link.kind)?.serial === true;
    const ends = link.endpoints.map((text, j) =>
      resolveEndpoint(ctx, text, ['links', i, 'endpoints', j], issues, serialLink),
    );
    const [a, b] = ends;
    if (issues.length > before || !a) return;
    const kindIssue =
      checkFixedLinkKind(ctx, link, [a, b], i) ??
      checkSerialEndpoint(ctx, link, a, i) ??
      checkEndpointKinds(ctx, link, [a, b], i);
    if (kindIssue) {
      issues.push(kindIssue);
      return;
    }
    const ownIssues = linkKindIssues(ctx, link, ends);
    if (ownIssues.length > 0) {
      issues.push(...ownIssues.map((x) => ({ ...x, path: ['links', i, ...x.path] })));
      return;
    }
    if (!b) {
      // A single-endpoint link (e.g. slirp): its one port is used, nothing else to join.
      const element = formatEndpoint(a);
      const user = portUse.get(element);
      if (user !== undefined) {
        const other = topology.links[user];
        issues.push({
          path: ['links', i, 'endpoints', 0],
          message: `port ${JSON.stringify(element)} is already used by links[${user}] (${other ? linkId(other) : ''}); a port joins one link, so use another NIC`,
        });
        return;
      }
      portUse.set(element, i);
      good.push(link);
      return;
    }
    if (link.endpoints.length !== 2) return;
    if (a.node === b.node) {
      issues.push({
        path: ['links', i, 'endpoints', 1],
        message: `both ends of this link are on node ${JSON.stringify(a.node)}; connect it to another node or to a switch`,
      });
      return;
    }
    for (const [j, ep] of [a, b].entries()) {
      if (ep.port === undefined) continue;
      const element = formatEndpoint(ep);
      const user = portUse.get(element);
      if (user !== undefined) {
        const other = topology.links[user];
        issues.push({
          path: ['links', i, 'endpoints', j],
          message: `port ${JSON.stringify(element)} is already used by links[${user}] (${other ? linkId(other) : ''}); a port joins one link, so use another interface or connect them through a switch`,
        });
      }
    }
    if (issues.length > before) return;
    for (const ep of [a, b]) if (ep.port !== undefined) portUse.set(formatEndpoint(ep), i);
    if (!uf.union(formatEndpoint(a), formatEndpoint(b))) {
      issues.push({
        path: ['links', i],
        message: `this link closes a loop between ${link.endpoints[0]} and ${link.endpoints[1]}, which are already connected; switches do not run spanning tree, so remove one link of the loop`,
      });
      return;
    }
    good.push(link);
  });
  return { issues, good };
}

/** Checks that no address or MAC appears twice on one segment (prefix length ignored). */
function checkAddresses(topology: Topology, segments: Segment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const segmentOfPort = new Map<string, Segment>();
  for (const seg of segments) for (const port of seg.ports) segmentOfPort.set(port, seg);
  // A switch's own addresses (its `host` interface) sit on the switch's segment.
  const segmentOfSwitch = new Map<string, Segment>();
  for (const seg of segments) for (const sw of seg.switches) segmentOfSwitch.set(sw, seg);
  const seen = new Map<string, { node: string; port: string }>();
  for (const [node, spec] of Object.entries(topology.nodes)) {
    for (const addr of findNodeKind(spec.kind)?.addresses?.(spec) ?? []) {
      let canonical: string;
      if (addr.type === 'mac-seed') {
        canonical = addr.value;
      } else if (addr.type === 'mac') {
        const mac = parseMac(addr.value);
        if (!mac.ok) continue;
        canonical = formatMac(mac.value);
      } else {
        const cidr = parseCidr(addr.value);
        if (!cidr.ok) continue;
        canonical = formatIp(cidr.value.address);
      }
      const element = `${node}:${addr.port}`;
      const segment = segmentOfPort.get(element) ?? segmentOfSwitch.get(node);
      const scope = segment ? `segment ${segment.id}` : `port ${element}`;
      const key = `${scope}\n${addr.type}\n${canonical}`;
      const first = seen.get(key);
      const noun =
        addr.type === 'mac' ? 'MAC address' : addr.type === 'mac-seed' ? 'seed' : 'address';
      if (!first) {
        seen.set(key, { node, port: addr.port });
      } else if (first.node === node && first.port === addr.port) {
        issues.push({
          path: ['nodes', node, ...addr.path],
          message: `${noun} ${canonical} is listed twice on ${element}; remove one`,
        });
      } else if (addr.type === 'mac-seed') {
        issues.push({
          path: ['nodes', node, ...addr.path],
          message: `seed ${canonical} is already used by ${first.node} on the same segment (${segment ? describeSegment(segment) : element}), and Zephyr draws the random MAC from the seed, so both would get the same MAC; give each node its own seed or a "mac", or remove "seed" (netweave then gives each node a seed of its own)`,
        });
      } else {
        issues.push({
          path: ['nodes', node, ...addr.path],
          message: `${noun} ${canonical} is already used by ${first.node}:${first.port} on the same segment (${segment ? describeSegment(segment) : element}); give each interface its own ${addr.type === 'mac' ? 'MAC' : 'address'}`,
        });
      }
    }
  }
  return issues;
}

/** Runs every cross-check on a topology the schema accepted. */
export function crossCheck(topology: Topology): PathIssue[] {
  const ctx = new CheckContext(topology);
  const nodeIssues = checkNodes(topology);
  const { issues: linkIssues, good } = checkLinks(ctx);
  const segments = resolveSegments({ ...topology, links: good });
  return [
    ...nodeIssues,
    ...linkIssues,
    ...checkAttachedNodes(ctx, good),
    ...checkAddresses(topology, segments),
    ...faultIssues(
      topology.faults,
      Object.fromEntries(Object.entries(topology.nodes).map(([name, n]) => [name, n.kind])),
      topology.links,
    ),
  ];
}
