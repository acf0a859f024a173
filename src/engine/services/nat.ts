// NAT from a segment to the outside. The lab's namespace (host mode: the machine's; isolated:
// the engine's own, whose way out is the slirp4netns or pasta link the launcher starts)
// forwards the segment's IPv4 and masquerades it, from an nftables table of the lab's own. In
// host mode every host setting changed on the way is journaled with its previous value first,
// and put back on `down` or by cleanup after a crash: net.ipv4.ip_forward, the table, and
// ACCEPT rules inserted into an iptables FORWARD chain that would otherwise drop the segment's
// traffic (an accept in our own table cannot override a drop in another table's chain: every
// base chain on the hook sees the packet and any one of them may drop it).
//
// net.ipv4.ip_forward is shared by every host-mode lab in the namespace: each one journals that
// it needs 1 (with the value it found, 1 if another lab had set it). A lab going down while
// another live lab there still needs 1 leaves it at 1 and hands the value it found over to that
// lab's journal, so the last lab to go down writes back the machine's original value.
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { EngineError } from '../../shared/contract.js';
import type { NetworkMode } from '../../shared/kinds.js';
import {
  labJournal,
  liveLabs,
  type Journal,
  type JournalObject,
  type LiveLab,
} from '../host/journal.js';
import { runCommand, runChecked } from '../process/run.js';
import { findTool } from './tools.js';

/** The sysctl that lets the lab's namespace route between the segment and the outside. */
export const IP_FORWARD = 'net.ipv4.ip_forward';

/** The environment variable that names the engine's way out in isolated mode (set by the launcher). */
export const OUTSIDE_IF_ENV = 'NETWEAVE_OUTSIDE_IF';

/** How long isolated-mode NAT waits for the launcher's outside link to appear. */
const OUTSIDE_WAIT_MS = 20_000;
/** Poll step while waiting for the outside link. */
const OUTSIDE_POLL_MS = 100;

/** The file of a sysctl under /proc/sys (of the caller's network namespace for net.*). */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/** The lab's own nftables table for one switch's NAT: family ip, named from lab id and switch. */
export function natTableName(labId: string, switchName: string): string {
  return `nw-${labId}-${switchName}`;
}

/** Inputs of the NAT ruleset of one segment. */
export interface NatRules {
  /** Table name (family ip). */
  table: string;
  /** The segment's IPv4 network, e.g. 192.0.2.0/24. */
  subnet: string;
  /** The lab's interface on the segment. */
  ifname: string;
  /** Ownership tag written as the table's comment. */
  tag: string;
}

/** The `nft -f` input that creates the lab's NAT table for one segment. */
export function natRuleset(r: NatRules): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    `table ip ${r.table} {`,
    `  comment ${q(r.tag)}`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${r.subnet} oifname != ${q(r.ifname)} masquerade`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    iifname ${q(r.ifname)} ip saddr ${r.subnet} accept`,
    `    oifname ${q(r.ifname)} ip daddr ${r.subnet} ct state established,related accept`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** One iptables backend: its command and its save command. */
export interface IptablesBackend {
  cmd: string;
  save: string;
}

/** The backends whose FORWARD chain may drop the segment's traffic (both hook the same path). */
export const IPTABLES_BACKENDS: readonly IptablesBackend[] = [
  { cmd: 'iptables-nft', save: 'iptables-nft-save' },
  { cmd: 'iptables-legacy', save: 'iptables-legacy-save' },
];

/**
 * True when the filter table in an iptables-save dump has a FORWARD chain that may drop
 * packets: a policy other than ACCEPT, or any rule (a jump to DOCKER-USER, ufw's chains, ...).
 */
export function forwardIsRestricted(save: string): boolean {
  let inFilter = false;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) inFilter = line.trim() === '*filter';
    else if (!inFilter) continue;
    else if (/^:FORWARD\s/.test(line) && !/^:FORWARD\s+ACCEPT\b/.test(line)) return true;
    else if (line.startsWith('-A FORWARD ')) return true;
  }
  return false;
}

/** The rule specifications (after the chain) that let the segment's traffic through FORWARD. */
export function forwardHoleRules(r: Omit<NatRules, 'table'>): string[][] {
  const comment = ['-m', 'comment', '--comment', r.tag];
  return [
    ['-i', r.ifname, '-s', r.subnet, ...comment, '-j', 'ACCEPT'],
    [
      '-o',
      r.ifname,
      '-d',
      r.subnet,
      '-m',
      'conntrack',
      '--ctstate',
      'RELATED,ESTABLISHED',
      ...comment,
      '-j',
      'ACCEPT',
    ],
  ];
}

/** The argv that inserts a rule at the top of FORWARD. */
export function insertRuleArgv(cmd: string, spec: readonly string[]): string[] {
  return [cmd, '-w', '-I', 'FORWARD', '1', ...spec];
}

/** The argv that deletes that rule again (by its specification, wherever it moved). */
export function deleteRuleArgv(cmd: string, spec: readonly string[]): string[] {
  return [cmd, '-w', '-D', 'FORWARD', ...spec];
}

/** The network namespace of a process (its /proc link), or undefined when it is gone. */
function netnsOf(pid: number | 'self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/**
 * Hands a host-mode sysctl change of lab `labId` over to another live lab in this network
 * namespace that journaled the same sysctl with the same needed value: the setting stays, and
 * when the heir recorded as its previous value the one this lab set (it found it so), its
 * journal now records this lab's previous value instead. True when an heir took it over.
 */
export function handOverSysctl(
  o: JournalObject,
  labId: string,
  labs: readonly LiveLab[] = liveLabs(),
): boolean {
  if (o.type !== 'sysctl' || o.mode !== 'host') return false;
  if (o.previous === undefined || o.value === undefined) return false;
  const here = netnsOf('self');
  if (here === undefined) return false;
  for (const lab of labs) {
    if (lab.labId === labId || lab.network !== 'host') continue;
    if (netnsOf(lab.enginePid) !== here) continue;
    try {
      const journal = labJournal(lab.labDir);
      const theirs = journal
        .outstanding()
        .find((x) => x.type === 'sysctl' && x.ref === o.ref && x.mode === 'host');
      if (theirs?.value !== o.value) continue;
      if (theirs.previous?.trim() === o.value.trim()) {
        journal.willCreate({ ...theirs, previous: o.previous });
      }
      return true;
    } catch {
      // that lab is going away as we look: try the next one, else write the value back
      continue;
    }
  }
  return false;
}

/**
 * Undoes one journaled host change (a sysctl, the lab's nft table, an inserted rule); resolves
 * true when something was changed back. Used by NAT's own teardown and by cleanup after a crash.
 * With `labId` (the lab the change belongs to), a host-mode sysctl another live lab still needs
 * is handed over to it instead of written back.
 */
export async function undoHostChange(o: JournalObject, labId?: string): Promise<boolean> {
  switch (o.type) {
    case 'sysctl': {
      if (o.previous === undefined) return false;
      const path = sysctlPath(o.ref);
      if (readFileSync(path, 'utf8').trim() === o.previous.trim()) return false;
      if (labId !== undefined && handOverSysctl(o, labId)) return false;
      writeFileSync(path, `${o.previous.trim()}\n`);
      return true;
    }
    case 'nft-table': {
      const nft = (await findTool('nft')) ?? 'nft';
      const [family = 'ip', name = ''] = o.ref.split(' ');
      const r = await runCommand([nft, 'delete', 'table', family, name]);
      return r.exitCode === 0;
    }
    case 'firewall-rule': {
      if (!o.argv || o.argv.length === 0) return false;
      const r = await runCommand(o.argv);
      return r.exitCode === 0;
    }
    default:
      return false;
  }
}

/** What one segment's NAT needs to know. */
export interface NatOptions {
  mode: NetworkMode;
  labId: string;
  switchName: string;
  /** The lab's interface on the segment. */
  ifname: string;
  /** The segment's IPv4 network, e.g. 192.0.2.0/24. */
  subnet: string;
  /** Ownership tag (table comment, rule comments). */
  tag: string;
  journal: Journal;
}

/** NAT of one segment; dispose puts back everything up() changed, in reverse order. */
export class SegmentNat {
  private readonly changes: JournalObject[] = [];

  constructor(private readonly o: NatOptions) {}

  /** Where the journal applies: host-mode changes outlive a crashed engine, isolated ones do not. */
  private get journaled(): boolean {
    return this.o.mode === 'host';
  }

  private record(change: JournalObject): void {
    if (this.journaled) this.o.journal.willCreate(change);
    this.changes.push(change);
  }

  /** Enables forwarding and masquerading of the segment (and opens FORWARD where needed). */
  async up(): Promise<void> {
    const nft = await findTool('nft');
    if (nft === undefined) {
      throw new EngineError(
        'missing-binary',
        `NAT on switch "${this.o.switchName}" needs nft, which is not installed; install it (apt install nftables) or remove services.nat`,
      );
    }
    if (this.o.mode === 'isolated') await this.waitForOutside();
    const previous = readFileSync(sysctlPath(IP_FORWARD), 'utf8').trim();
    // Host mode journals the need even when another lab set it already (see the top of the
    // file), once per lab: a second switch of the same lab finds the first one's entry.
    const needsRecord = this.journaled
      ? !this.o.journal.outstanding().some((x) => x.type === 'sysctl' && x.ref === IP_FORWARD)
      : previous !== '1';
    if (needsRecord) {
      this.record({ type: 'sysctl', ref: IP_FORWARD, previous, value: '1', mode: this.o.mode });
    }
    if (previous !== '1') writeFileSync(sysctlPath(IP_FORWARD), '1\n');
    const table = natTableName(this.o.labId, this.o.switchName);
    this.record({ type: 'nft-table', ref: `ip ${table}`, mode: this.o.mode });
    await runChecked([nft, '-f', '-'], {
      input: natRuleset({ table, subnet: this.o.subnet, ifname: this.o.ifname, tag: this.o.tag }),
    });
    // In isolated mode the engine's namespace has no firewall but ours.
    if (this.o.mode === 'host') await this.openForward();
  }

  private async openForward(): Promise<void> {
    for (const backend of IPTABLES_BACKENDS) {
      const cmd = await findTool(backend.cmd);
      const save = await findTool(backend.save);
      if (cmd === undefined || save === undefined) continue;
      const dump = await runCommand([save]);
      if (dump.exitCode !== 0 || !forwardIsRestricted(dump.stdout)) continue;
      const specs = forwardHoleRules({
        subnet: this.o.subnet,
        ifname: this.o.ifname,
        tag: this.o.tag,
      });
      for (const spec of specs) {
        this.record({
          type: 'firewall-rule',
          ref: `${backend.cmd} FORWARD ${spec.join(' ')}`,
          argv: deleteRuleArgv(cmd, spec),
          mode: 'host',
        });
        await runChecked(insertRuleArgv(cmd, spec));
      }
    }
  }

  /** Waits until the launcher's outside link (slirp4netns' or pasta's TAP) has a default route. */
  private async waitForOutside(): Promise<void> {
    const outside = process.env[OUTSIDE_IF_ENV];
    if (outside === undefined || outside === '') {
      throw new EngineError(
        'internal',
        `NAT on switch "${this.o.switchName}" needs the outside link that \`netweave up\` starts in isolated mode; start the lab with \`netweave up\``,
      );
    }
    const until = Date.now() + OUTSIDE_WAIT_MS;
    for (;;) {
      const r = await runCommand(['ip', '-4', 'route', 'show', 'default', 'dev', outside]);
      if (r.exitCode === 0 && r.stdout.trim() !== '') return;
      if (Date.now() > until) {
        throw new EngineError(
          'internal',
          `the outside link ${outside} of the lab did not come up within ${OUTSIDE_WAIT_MS / 1000} s; see slirp4netns.log or pasta.log in the lab's log folder`,
        );
      }
      await new Promise((r2) => setTimeout(r2, OUTSIDE_POLL_MS));
    }
  }

  /** Puts back every change in reverse order; keeps going past a failure. */
  async dispose(): Promise<void> {
    while (this.changes.length > 0) {
      const change = this.changes.pop();
      if (!change) break;
      // A sysctl's journal entry may have been handed a lab's original value since up().
      const latest =
        this.journaled && change.type === 'sysctl'
          ? (this.o.journal
              .outstanding()
              .find((x) => x.type === 'sysctl' && x.ref === change.ref) ?? change)
          : change;
      try {
        await undoHostChange(latest, this.journaled ? this.o.labId : undefined);
      } catch {
        // one stubborn change must not keep the others in place; cleanup retries from the journal
        continue;
      }
      if (this.journaled) this.o.journal.didRemove(latest);
    }
  }
}
