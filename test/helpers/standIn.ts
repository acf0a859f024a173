// Stand-ins for what this machine lacks (a USB board's sysfs entries and tty, a kernel with
// /dev/ppp), with no hook in netweave: the CLI, and the engine it starts, run in a private mount
// namespace whose /dev and /sys/class folders the test chose. Everything else is the machine's:
// the network namespaces the engine names (under /run/netns, which stays shared with the
// machine), the runtime folder, every other device. Root only (mount(2)).
import { execFileSync } from 'node:child_process';

/** What the stand-in mount namespace shows in place of the machine's. */
export interface StandInMounts {
  /** Folders shown as /sys/class/<name> (e.g. net, tty) instead of the machine's. */
  sysClass?: Record<string, string>;
  /** Names in /dev that are symlinks to the given paths (e.g. ttyACM0 -> a pty's link). */
  devLinks?: Record<string, string>;
  /** Names in /dev that are /dev/null (e.g. ppp, so a kernel check can open it). */
  devNull?: string[];
}

// /dev gets a copy: a tmpfs on /dev/shm (private to this namespace) is filled with a bind mount
// of every entry of the real /dev, the stand-ins are added, and it is moved over /dev. Nothing
// is mounted under a mount that is shared with the machine.
const SCRIPT = `set -e
mount --make-rprivate /dev
mount --make-rprivate /sys
for a in "$@"; do
  [ "$a" = -- ] && break
  case "$a" in
    class=*) x=\${a#class=}; mount --bind "\${x#*=}" "/sys/class/\${x%%=*}" ;;
  esac
done
S=/dev/shm
mount -t tmpfs -o mode=755 nwdev "$S"
for p in /dev/* /dev/.[!.]*; do
  [ -e "$p" ] || [ -L "$p" ] || continue
  n=\${p#/dev/}
  [ "$n" = shm ] && continue
  # The kernel finds a ptmx's ptys in "pts" beside it on the same mount: a bind of the file
  # would not see the bound pts, so ptmx is the pts one's link, as in a container.
  if [ "$n" = ptmx ]; then ln -s pts/ptmx "$S/ptmx"; continue; fi
  if [ -L "$p" ]; then cp -P "$p" "$S/$n"
  elif [ -d "$p" ]; then mkdir "$S/$n"; mount --rbind "$p" "$S/$n"
  else : > "$S/$n"; mount --bind "$p" "$S/$n"; fi
done
mkdir "$S/shm"
mount --move "$S" /dev
mount -t tmpfs -o mode=1777 shm /dev/shm
for a in "$@"; do
  [ "$a" = -- ] && break
  case "$a" in
    link=*) x=\${a#link=}; ln -s "\${x#*=}" "/dev/\${x%%=*}" ;;
    null=*) : > "/dev/\${a#null=}"; mount --bind /dev/null "/dev/\${a#null=}" ;;
  esac
done
while [ "$1" != -- ]; do shift; done
shift
exec "$@"
`;

/**
 * Makes /run/netns a shared mount of the machine (as `ip netns add` leaves it) before the first
 * stand-in namespace is made, so the namespaces an engine in there names are the machine's.
 */
export function shareNetnsMount(): void {
  const probe = `nw-standin-${process.pid}`;
  execFileSync('ip', ['netns', 'add', probe]);
  execFileSync('ip', ['netns', 'del', probe]);
}

/**
 * The argv prefix that runs a command in a stand-in mount namespace: append the command.
 * Call shareNetnsMount() first.
 */
export function standInPrefix(mounts: StandInMounts): string[] {
  const args = [
    ...Object.entries(mounts.sysClass ?? {}).map(([name, dir]) => `class=${name}=${dir}`),
    ...Object.entries(mounts.devLinks ?? {}).map(([name, to]) => `link=${name}=${to}`),
    ...(mounts.devNull ?? []).map((name) => `null=${name}`),
  ];
  return [
    'unshare',
    '--mount',
    '--propagation',
    'unchanged',
    'sh',
    '-c',
    SCRIPT,
    'sh',
    ...args,
    '--',
  ];
}
