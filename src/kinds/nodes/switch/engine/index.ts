// The `switch` node kind: an Ethernet segment, a learning switch in the fabric. With `host` it
// also has the lab's own interface on the segment (an engine-owned TAP in the lab's namespace,
// attached to the switch as one more fabric port), and with `services` it runs dnsmasq (DHCPv4,
// router advertisements, DNS) or the engine's built-in equivalent (services/builtin, in front of
// that port) and NAT to the outside on that interface.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTap } from '@netweave/tap';
import { EngineError, type ExecResult, type NodeStatus } from '../../../../shared/contract.js';
import type { Disposable } from '../../../../shared/lifecycle.js';
import type { SwitchNodeSpec } from '../../../../shared/topology/index.js';
import { parseCidr, formatCidr, networkOf } from '../../../../shared/topology/address.js';
import type { ResolvedServices, ServiceServer } from '../definition.js';
import { resolveServices } from '../facts.js';
import { TapPort, type EthernetSwitch, type Port } from '../../../../engine/fabric/index.js';
import type { JournalObject } from '../../../../engine/host/journal.js';
import { interfaceTag, tagInterfaceArgv } from '../../../../engine/paths.js';
import { runChecked, runCommand, runExec } from '../../../../engine/process/run.js';
import { BuiltinServices } from '../../../../engine/services/builtin/index.js';
import { DnsmasqService, needsDnsmasq } from '../../../../engine/services/dnsmasq.js';
import { SegmentNat } from '../../../../engine/services/nat.js';
import { findTool } from '../../../../engine/services/tools.js';
import type {
  ExecOptions,
  LabContext,
  NodeAbilities,
  NodeInstance,
  NodeKind,
} from '../../../../engine/nodes/types.js';
import { nodeStatus } from '../../../../engine/nodes/types.js';
import { sha256Hex } from '../../../../engine/hash.js';

/** Default MAC aging of a switch, as in IEEE 802.1D. */
export const DEFAULT_AGING_SECONDS = 300;

/**
 * Which server answers a switch's dhcp, ra and dns: the one written, else dnsmasq when it is
 * installed, else the built-in one; undefined when dnsmasq is asked for and missing.
 */
export function pickServer(
  written: ServiceServer | undefined,
  dnsmasqInstalled: boolean,
): ServiceServer | undefined {
  if (written === 'builtin') return 'builtin';
  if (dnsmasqInstalled) return 'dnsmasq';
  return written === 'dnsmasq' ? undefined : 'builtin';
}

function missingDnsmasq(switchName: string): EngineError {
  return new EngineError(
    'missing-binary',
    `switch "${switchName}" asks for dnsmasq (services.server: dnsmasq), and it is not installed; install it (apt install dnsmasq) or write services.server: builtin`,
  );
}

/** The Ethernet and link-local addresses the kernel gave the lab's interface. */
async function interfaceAddresses(ifname: string): Promise<{ mac: string; linkLocal?: string }> {
  const link = await runChecked(['ip', '-j', 'link', 'show', 'dev', ifname]);
  const [info] = JSON.parse(link.stdout) as Array<{ address?: string }>;
  if (info?.address === undefined) {
    throw new EngineError('internal', `interface ${ifname} has no Ethernet address`);
  }
  const addr = await runCommand(['ip', '-j', '-6', 'addr', 'show', 'dev', ifname, 'scope', 'link']);
  let linkLocal: string | undefined;
  if (addr.exitCode === 0) {
    const [a] = JSON.parse(addr.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string }> }>;
    linkLocal = a?.addr_info?.find((x) => x.local !== undefined)?.local;
  }
  return { mac: info.address, ...(linkLocal !== undefined ? { linkLocal } : {}) };
}

/** The TAP of the lab's interface; deliver() lets the built-in services answer from it. */
class HostTapPort extends TapPort {
  /** Puts frames into the fabric as if the kernel had sent them on this interface. */
  deliver(frames: readonly Buffer[]): void {
    this.receive(frames);
  }
}

/** Longest interface name (IFNAMSIZ - 1). */
const MAX_IFNAME = 15;

/**
 * The default name of the lab's interface on a switch: "nw" + 5 hex digits of the lab id + "-"
 * + the switch name, or a hash of the name when it does not fit in IFNAMSIZ.
 */
export function defaultHostIfname(labId: string, switchName: string): string {
  const prefix = `nw${labId.slice(0, 5)}-`;
  if (prefix.length + switchName.length <= MAX_IFNAME) return `${prefix}${switchName}`;
  const hash = sha256Hex(switchName);
  return `${prefix}${switchName.slice(0, 2)}${hash.slice(0, MAX_IFNAME - prefix.length - 2)}`;
}

/** A running switch node. */
export class SwitchNode implements NodeInstance {
  readonly kind = 'switch';
  readonly abilities: NodeAbilities = {
    segment: { linkType: 'ethernet', attach: (port) => this.attach(port) },
  };
  private sw: EthernetSwitch | undefined;
  private readonly attached: Port[] = [];
  private readonly services: ResolvedServices | undefined;
  private hostPort: HostTapPort | undefined;
  private hostAttach: Disposable | undefined;
  private hostObject: JournalObject | undefined;
  private dnsmasq: DnsmasqService | undefined;
  private builtin: BuiltinServices | undefined;
  private nat: SegmentNat | undefined;

  constructor(
    readonly name: string,
    private readonly spec: SwitchNodeSpec,
    private readonly ctx: LabContext,
  ) {
    this.services = resolveServices(spec);
  }

  /** The lab's interface on this segment, when it has one. */
  get hostIfname(): string | undefined {
    if (!this.spec.host) return undefined;
    return this.spec.host.name ?? defaultHostIfname(this.ctx.labId, this.name);
  }

  async create(): Promise<void> {
    this.sw = this.ctx.fabric.addSwitch(this.name, {
      agingMs: (this.spec.aging ?? DEFAULT_AGING_SECONDS) * 1000,
    });
    const ifname = this.hostIfname;
    if (ifname !== undefined) await this.createHostInterface(ifname);
  }

  /** The lab's own TAP on the segment, in the lab's namespace (where the engine runs). */
  private async createHostInterface(ifname: string): Promise<void> {
    const exists = await runCommand(['ip', 'link', 'show', 'dev', ifname]);
    if (exists.exitCode === 0) {
      throw new EngineError(
        'busy',
        `switch "${this.name}": interface ${ifname} already exists ${this.ctx.mode === 'host' ? 'on this machine' : "in the lab's namespace"}; choose another host.name`,
      );
    }
    this.hostObject = { type: 'interface', ref: ifname, mode: this.ctx.mode };
    this.ctx.journal.willCreate(this.hostObject);
    // Non-persistent: the TAP disappears when the engine closes its fd, even after kill -9.
    const port = new HostTapPort(`${this.name}:host`, openTap(ifname), {
      ...(this.spec.mtu !== undefined ? { mtu: this.spec.mtu + 14 } : {}),
    });
    this.hostPort = port;
    this.ctx.fabric.addPort(port);
    this.hostAttach = this.attach(port);
    await runChecked(tagInterfaceArgv(ifname, this.ctx.labId, this.name));
    // Our own interface: no DAD delay (dnsmasq sends RAs from the link-local address at once),
    // and it must not configure itself from the RAs of the segment it serves.
    for (const [key, value] of [
      ['accept_dad', '0'],
      ['accept_ra', '0'],
    ] as const) {
      writeFileSync(`/proc/sys/net/ipv6/conf/${ifname}/${key}`, `${value}\n`);
    }
    if (this.spec.mtu !== undefined) {
      await runChecked(['ip', 'link', 'set', 'dev', ifname, 'mtu', String(this.spec.mtu)]);
    }
    await runChecked(['ip', 'link', 'set', 'dev', ifname, 'up']);
  }

  /** Joins a port to this segment. */
  attach(port: Port): Disposable {
    if (!this.sw) throw new Error(`switch ${this.name} is not created yet`);
    this.attached.push(port);
    return this.sw.attach(port);
  }

  port(name: string): Promise<Port> {
    return Promise.reject(
      new EngineError(
        'bad-request',
        `switch "${this.name}" has no named ports; link to it as "${this.name}", not "${this.name}:${name}"`,
      ),
    );
  }

  async wire(): Promise<void> {
    const ifname = this.hostIfname;
    const s = this.services;
    if (ifname === undefined || s === undefined) return;
    if (s.ipv4 !== undefined) await runChecked(['ip', '-4', 'addr', 'add', s.ipv4, 'dev', ifname]);
    if (s.ipv6 !== undefined) {
      await runChecked(['ip', '-6', 'addr', 'add', s.ipv6, 'dev', ifname, 'nodad']);
    }
  }

  async start(): Promise<void> {
    this.hostPort?.setUp(true);
    const ifname = this.hostIfname;
    const s = this.services;
    if (ifname !== undefined && s !== undefined) {
      if (s.nat && s.ipv4 !== undefined && !this.nat) {
        const cidr = parseCidr(s.ipv4, 4);
        if (!cidr.ok) throw new EngineError('bad-request', `switch "${this.name}": bad host.ipv4`);
        const nat = new SegmentNat({
          mode: this.ctx.mode,
          labId: this.ctx.labId,
          switchName: this.name,
          ifname,
          subnet: formatCidr(networkOf(cidr.value)),
          tag: interfaceTag(this.ctx.labId, this.name),
          journal: this.ctx.journal,
        });
        this.nat = nat;
        await nat.up();
      }
      if (needsDnsmasq(s) && !this.dnsmasq && !this.builtin) {
        const binary = s.server === 'builtin' ? undefined : await findTool('dnsmasq');
        const server = pickServer(s.server, binary !== undefined);
        if (server === undefined) throw missingDnsmasq(this.name);
        if (server === 'builtin' || binary === undefined) await this.startBuiltin(ifname, s);
        else await this.startDnsmasq(ifname, s, binary);
      }
    }
    this.ctx.nodeState(this.name, 'ready');
  }

  /** DHCPv4, RA and DNS answered by the engine, in front of the lab's interface. */
  private async startBuiltin(ifname: string, s: ResolvedServices): Promise<void> {
    const port = this.hostPort;
    if (port === undefined) return;
    const { mac, linkLocal } = await interfaceAddresses(ifname);
    const builtin = new BuiltinServices({
      services: s,
      mac,
      ...(linkLocal !== undefined ? { linkLocal } : {}),
      inject: (frames) => {
        port.deliver(frames);
      },
      count: (event) => {
        port.countExtra(event);
      },
    });
    this.builtin = builtin;
    // First stage: requests are served before any impairment stage that may sit on the port.
    port.egress.insert(builtin, 0);
    builtin.start();
  }

  private async startDnsmasq(ifname: string, s: ResolvedServices, binary: string): Promise<void> {
    this.dnsmasq = new DnsmasqService({
      switchName: this.name,
      binary,
      config: {
        mode: this.ctx.mode,
        ifname,
        services: s,
        leaseFile: join(this.ctx.labDir, `${this.name}-dnsmasq.leases`),
      },
      logDir: this.ctx.logDir,
      env: this.ctx.env,
      journal: this.ctx.journal,
    });
    await this.dnsmasq.start();
  }

  private stopBuiltin(): void {
    if (this.builtin === undefined) return;
    // Removing the stage disposes it (timers stop, queued answers are dropped).
    if (this.hostPort?.egress.remove(this.builtin) !== true) this.builtin.dispose();
    this.builtin = undefined;
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    // The segment keeps switching; its services stop (NAT and the interface stay until down).
    await this.dnsmasq?.dispose();
    this.dnsmasq = undefined;
    this.stopBuiltin();
    this.hostPort?.setUp(false);
  }

  /**
   * Runs a command on the lab's side of the segment: in the namespace that holds the switch's
   * host interface (the engine's own in isolated mode, the machine in host mode), as Zephyr's
   * docs run commands "on the host" next to zeth.
   */
  async exec(argv: string[], opts: ExecOptions): Promise<ExecResult> {
    if (!this.hostPort) {
      throw new EngineError(
        'bad-request',
        `switch "${this.name}" has no host interface to run commands next to; add host: {} to it, or run the command in a host node`,
      );
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    return runExec(argv, undefined, { ...env, ...this.ctx.env }, opts);
  }

  /** One line: the host interface, its addresses, and the services it runs. */
  private detail(): string | undefined {
    const ifname = this.hostIfname;
    if (ifname === undefined || !this.spec.host) return undefined;
    const s = this.services;
    const addrs = [s?.ipv4, s?.ipv6].filter((a): a is string => a !== undefined);
    const served = s ? (['dhcp', 'ra', 'dns'] as const).filter((k) => s[k] !== undefined) : [];
    const server = this.builtin ? 'built-in' : this.dnsmasq ? 'dnsmasq' : undefined;
    const parts = [`host ${ifname}${addrs.length > 0 ? ` ${addrs.join(' ')}` : ''}`];
    if (served.length > 0) parts.push(`${served.join(' ')}${server ? ` (${server})` : ''}`);
    if (s?.nat) parts.push('nat');
    return parts.join(', ');
  }

  status(): NodeStatus {
    return nodeStatus(this, {
      state: this.sw ? 'ready' : 'stopped',
      proc: this.dnsmasq,
      hasConsole: false,
      ports: this.attached.map((p) => p.status()),
      detail: this.detail(),
    });
  }

  async dispose(): Promise<void> {
    await this.dnsmasq?.dispose();
    this.dnsmasq = undefined;
    this.stopBuiltin();
    await this.nat?.dispose();
    this.nat = undefined;
    await this.hostAttach?.dispose();
    this.hostAttach = undefined;
    if (this.hostPort) {
      this.ctx.fabric.removePort(this.hostPort);
      this.hostPort = undefined;
      if (this.hostObject) this.ctx.journal.didRemove(this.hostObject);
    }
    this.sw?.dispose();
    this.sw = undefined;
  }
}

/** The `switch` kind. */
export const switchKind: NodeKind<SwitchNodeSpec> = {
  instantiate: (name, spec, ctx) => new SwitchNode(name, spec, ctx),
  preflight: async (name, spec) => {
    const s = resolveServices(spec);
    // Without dnsmasq the built-in server answers, unless the topology asks for dnsmasq.
    if (needsDnsmasq(s) && s?.server === 'dnsmasq' && (await findTool('dnsmasq')) === undefined) {
      throw missingDnsmasq(name);
    }
    if (s?.nat && (await findTool('nft')) === undefined) {
      throw new EngineError(
        'missing-binary',
        `NAT on switch "${name}" needs nft, which is not installed; install it (apt install nftables) or remove services.nat`,
      );
    }
  },
};
