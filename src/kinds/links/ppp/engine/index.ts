// The `ppp` link kind: a node's serial port decoded as RFC 1662 PPP frames, joined point to
// point in the fabric with a pppd the engine runs in the lab's namespace (the engine's own
// namespace in isolated mode, the machine's in host mode). pppd talks PPP on its stdin and
// stdout (`notty`), so every frame crosses the fabric, is counted and can be captured
// (LINKTYPE_PPP_HDLC). pppd and a kernel with PPP are checked before anything is created.
import { join } from 'node:path';
import { EngineError } from '../../../../shared/contract.js';
import { toDisposable } from '../../../../shared/lifecycle.js';
import { linkId } from '../../../../shared/topology/endpoint.js';
import type { PppLinkSpec } from '../../../../shared/topology/links/index.js';
import { DEFAULT_PPPD_BINARY, pppdOptionWords } from '../facts.js';
import type { Port } from '../../../../engine/fabric/index.js';
import type { LabContext } from '../../../../engine/nodes/types.js';
import { findExecutable } from '../../../../engine/process/executable.js';
import { openSerialPort } from '../../../../engine/links/serial.js';
import { LinkBase, type LinkKind } from '../../../../engine/links/types.js';
import { pppCodec } from './codec.js';
import { PppdPort, pppKernelProblem } from './pppd.js';

export { fcs16, pppCodec, PppDecoder, encodePppFrames, PPP_EVENTS } from './codec.js';
export { describePppdExit, PppdPort, pppKernelProblem, type PppKernelProblem } from './pppd.js';

/** The device pppd opens to create a PPP unit. */
export const PPP_DEVICE = '/dev/ppp';

/** PPP's default MRU (RFC 1661): the information field pppd and Zephyr accept by default. */
const DEFAULT_MRU = 1500;

/** Address, control and a 2-byte protocol field in front of the information field. */
const PPP_HEADER_BYTES = 4;

/**
 * The options every pppd of a ppp link gets, after Zephyr's net-tools (loop-pppd.sh): no
 * authentication, no modem lines, no Van Jacobson, compression or multilink (Zephyr's PPP has
 * none of them), no address/control compression (so every frame keeps 0xFF 0x03), IPv6CP
 * enabled, no default route, and `silent`: wait for the node's first LCP packet, since the
 * node boots after pppd starts. `notty` makes pppd speak PPP on stdin/stdout, `nodetach` keeps
 * it our child, and `logfd 2` keeps its log out of the data on stdout.
 */
export const PPPD_BASE_OPTIONS: readonly string[] = [
  'notty',
  'nodetach',
  'logfd',
  '2',
  'noauth',
  'local',
  '+ipv6',
  'novj',
  'noccp',
  'noaccomp',
  'nodefaultroute',
  'nomp',
  'silent',
];

/** The pppd argv of a link (binary already resolved). */
export function pppdArgv(binary: string, spec: PppLinkSpec): string[] {
  return [binary, ...PPPD_BASE_OPTIONS, ...pppdOptionWords(spec), `${spec.local}:${spec.peer}`];
}

/** Largest frame in the fabric: the larger of the default MRU and any mru/mtu option, plus the header. */
export function pppFrameMtu(spec: PppLinkSpec): number {
  const words = pppdOptionWords(spec);
  let unit = DEFAULT_MRU;
  words.forEach((w, i) => {
    if (w === 'mru' || w === 'mtu') unit = Math.max(unit, Number(words[i + 1] ?? 0));
  });
  return unit + PPP_HEADER_BYTES;
}

/** A file name from a link id (ids hold ":" and other characters a file name should not). */
function fileSafe(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Finds the link's pppd; the EngineError says how to install it. */
async function resolvePppd(spec: PppLinkSpec, ctx: LabContext, id: string): Promise<string> {
  const binary = spec.binary ?? DEFAULT_PPPD_BINARY;
  const found = await findExecutable(binary, ctx.topologyDir, process.env);
  if (found.ok) return found.path;
  const fix =
    spec.binary === undefined
      ? 'install it with "apt install ppp"'
      : 'install pppd ("apt install ppp") or fix "binary:" of the link';
  throw new EngineError(
    'missing-binary',
    `ppp link ${id} needs ${binary}, which is not installed (${found.problem}); ${fix}`,
  );
}

/** Checks pppd and the kernel's PPP support before anything of the lab exists. */
async function preflightPpp(spec: PppLinkSpec, ctx: LabContext): Promise<void> {
  const id = linkId(spec);
  await resolvePppd(spec, ctx, id);
  const problem = pppKernelProblem(PPP_DEVICE);
  if (problem !== undefined) {
    throw new EngineError(
      problem.permission ? 'permission' : 'missing-binary',
      `ppp link ${id} needs pppd, but ${problem.message}`,
    );
  }
}

/** A wired ppp link. */
export class PppLink extends LinkBase<PppLinkSpec> {
  readonly kind = 'ppp';
  readonly linkType = 'ppp';
  private serial: Port | undefined;
  private pppd: PppdPort | undefined;

  async wire(): Promise<void> {
    const [text] = this.spec.endpoints;
    const { ctx } = this.env;
    const mtu = pppFrameMtu(this.spec);
    const codec = pppCodec();
    const { port: serial } = await openSerialPort(this.env, this.kind, text, {
      link: this.id,
      linkType: 'ppp',
      codec,
      mtu,
      up: this.spec.up,
    });
    this.serial = serial;
    const binary = await resolvePppd(this.spec, ctx, this.id);
    const pppd = PppdPort.start({
      id: `${this.id}:pppd`,
      argv: pppdArgv(binary, this.spec),
      cwd: ctx.labDir,
      env: { ...process.env, ...ctx.env },
      logFile: join(ctx.logDir, `${fileSafe(this.id)}.pppd.log`),
      codec,
      mtu,
    });
    this.pppd = pppd;
    ctx.fabric.addPort(pppd);
    this.store.add(toDisposable(() => ctx.fabric.removePort(pppd)));
    this.store.add(ctx.fabric.connect(serial, pppd));
    if (!this.spec.up) pppd.setUp(false);
  }

  ports(): Port[] {
    return [this.serial, this.pppd].filter((p): p is Port => p !== undefined);
  }

  override async dispose(): Promise<void> {
    // pppd first, while the node still runs: it terminates the link with the node politely.
    await this.pppd?.stop();
    await super.dispose();
  }
}

/** The `ppp` kind. */
export const pppKind: LinkKind<PppLinkSpec> = {
  instantiate: (spec, env) => new PppLink(spec, env),
  preflight: preflightPpp,
};
