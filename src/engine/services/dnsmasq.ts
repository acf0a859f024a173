// DHCPv4, router advertisements and DNS names on a segment: one dnsmasq process bound to the
// lab's interface on that segment, run in the lab's namespace (the engine's own in isolated
// mode, the machine's in host mode), supervised and journaled like every lab process.
import { join } from 'node:path';
import { EngineError } from '../../shared/contract.js';
import type { NetworkMode } from '../../shared/kinds.js';
import type { ResolvedServices } from '../../kinds/nodes/switch/definition.js';
import type { Journal } from '../host/journal.js';
import { processStartTime } from '../host/procfs.js';
import { SupervisedProcess } from '../process/supervisedProcess.js';

/** dnsmasq prints this line once it listens and serves. */
const READY_PATTERN = /started, version/;
/** dnsmasq starts in milliseconds; 15 s covers a loaded 2-core machine. */
const READY_TIMEOUT_MS = 15_000;
/**
 * Unsolicited router advertisements every 10 s (after dnsmasq's fast start burst), so a node
 * that boots later is configured quickly even if its solicitation was lost.
 */
const RA_INTERVAL_S = 10;
/** The DNS forwarder of the isolated lab's way out (10.0.2.3 of slirp4netns, and of pasta as netweave runs it). */
export const SLIRP_DNS = '10.0.2.3';

/** Everything the dnsmasq command line depends on. */
export interface DnsmasqConfig {
  mode: NetworkMode;
  ifname: string;
  services: ResolvedServices;
  leaseFile: string;
}

/** True when the switch runs any service dnsmasq provides. */
export function needsDnsmasq(s: ResolvedServices | undefined): boolean {
  return !!s && (s.dhcp !== undefined || s.ra !== undefined || s.dns !== undefined);
}

/** The dnsmasq argv for one segment (no shell; a private configuration, nothing from /etc). */
export function dnsmasqArgv(c: DnsmasqConfig, binary = 'dnsmasq'): string[] {
  const s = c.services;
  const argv = [
    binary,
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-hosts',
    '--bind-interfaces',
    `--interface=${c.ifname}`,
    '--except-interface=lo',
    // No pid file: the supervisor knows the pid, and a pid file would land in /run.
    '--pid-file=',
    `--dhcp-leasefile=${c.leaseFile}`,
    '--log-facility=-',
  ];
  // In isolated mode only root is mapped into the user namespace: dropping to "nobody" fails.
  if (c.mode === 'isolated') argv.push('--user=', '--group=');
  if (s.dns) {
    argv.push('--domain-needed', '--bogus-priv');
    for (const [name, ip] of Object.entries(s.dns.names)) argv.push(`--host-record=${name},${ip}`);
    if (!s.nat) argv.push('--no-resolv');
    else if (c.mode === 'isolated') argv.push('--no-resolv', `--server=${SLIRP_DNS}`);
    // host mode with NAT: forward other names to the machine's resolvers (/etc/resolv.conf).
  } else {
    argv.push('--port=0');
  }
  if (s.dhcp) {
    argv.push(
      `--dhcp-range=${s.dhcp.start},${s.dhcp.end},${s.dhcp.netmask},${s.dhcp.lease}`,
      '--dhcp-authoritative',
    );
    // Without NAT the segment has no way out: do not hand out a default gateway.
    if (!s.nat) argv.push('--dhcp-option=option:router');
  }
  if (s.ra) {
    const [net = '', len = '64'] = s.ra.prefix.split('/');
    // Router lifetime 0: the lab does not route IPv6, it only advertises the prefix (SLAAC).
    argv.push(
      '--enable-ra',
      `--dhcp-range=${net},ra-only,${len}`,
      `--ra-param=${c.ifname},mtu:${s.ra.mtu},${RA_INTERVAL_S},0`,
    );
  }
  return argv;
}

/** Turns dnsmasq's last words into one sentence with the fix, when they are recognizable. */
export function explainDnsmasqFailure(switchName: string, ifname: string, output: string): string {
  if (/address already in use/i.test(output)) {
    return `dnsmasq for switch "${switchName}" cannot listen on ${ifname}: another DNS or DHCP server on this machine holds port 53 or 67 on all addresses; stop it or bind it to its own interfaces, or turn off dns/dhcp on this switch`;
  }
  const line = output
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /dnsmasq/.test(l))
    .pop();
  return `dnsmasq for switch "${switchName}" did not start${line ? `: ${line}` : ''}; see ${switchName}-dnsmasq.log in the lab's log folder`;
}

/** The dnsmasq of one segment. */
export class DnsmasqService {
  private proc: SupervisedProcess | undefined;
  private journaledPid: string | undefined;

  constructor(
    private readonly o: {
      switchName: string;
      config: DnsmasqConfig;
      binary: string;
      logDir: string;
      env: Record<string, string>;
      journal: Journal;
    },
  ) {}

  /** Starts dnsmasq and resolves once it serves; rejects with one sentence. */
  async start(): Promise<void> {
    const name = this.o.switchName;
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
    const proc = new SupervisedProcess({
      name: `${name}-dnsmasq`,
      argv: dnsmasqArgv(this.o.config, this.o.binary),
      cwd: '/',
      env: { ...base, ...this.o.env },
      logFile: join(this.o.logDir, `${name}-dnsmasq.log`),
      ready: { pattern: READY_PATTERN, timeoutMs: READY_TIMEOUT_MS },
      restart: { policy: 'on-failure' },
    });
    this.proc = proc;
    const started = proc.start();
    // In host mode dnsmasq drops to an unprivileged user, which the lab's process tag sweep
    // (same uid only) would not find after a crash: journal its pid and start time.
    // (In isolated mode it lives in the engine's pid namespace, which dies with the engine.)
    const journaled = this.o.config.mode === 'host';
    const pid = proc.pid;
    if (journaled && pid !== undefined) this.journalPid(pid);
    try {
      await started;
    } catch {
      throw new EngineError(
        'internal',
        explainDnsmasqFailure(name, this.o.config.ifname, proc.scrollback()),
      );
    }
    if (journaled && proc.pid !== undefined && String(proc.pid) !== this.journaledPid) {
      this.journalPid(proc.pid);
    }
  }

  private journalPid(pid: number): void {
    const start = processStartTime(pid);
    this.journaledPid = String(pid);
    this.o.journal.willCreate({
      type: 'process',
      ref: String(pid),
      ...(start ? { startTime: start } : {}),
    });
  }

  /** The pid of the running dnsmasq, if any. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Stops dnsmasq (SIGTERM, then SIGKILL). */
  async dispose(): Promise<void> {
    await this.proc?.dispose();
    this.proc = undefined;
    if (this.journaledPid !== undefined) {
      this.o.journal.didRemove({ type: 'process', ref: this.journaledPid });
      this.journaledPid = undefined;
    }
  }
}
