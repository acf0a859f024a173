#!/usr/bin/env bash
# Builds netweave's x86_64 test guest from Debian packages only: the installed distribution
# kernel (linux-image-amd64) plus a busybox-static initramfs whose /init configures eth0 from
# the kernel command line, starts a TCP echo server on port 4242, prints NETWEAVE-GUEST-READY
# on the serial console and runs a shell there.
#
# Usage: test/guest/build-guest.sh        prints two lines: KERNEL=<path> and INITRD=<path>
# The result is cached in ${NETWEAVE_GUEST_CACHE:-$HOME/.cache/netweave-guest}, keyed by the
# kernel version and this script's hash; a second run only prints the paths.
#
# Kernel command line of the guest (all optional):
#   nw.ip=192.0.2.10/24   nw.ip6=2001:db8::10/64   nw.gw=192.0.2.2   nw.dhcp=1 (udhcpc, for slirp)
#   nw.if=eth0 (the interface to configure)
#   nw.slip=ttyS1 (put that serial port into the kernel's SLIP line discipline, legacy raw-IP
#   SLIP, and configure the sl0 it creates instead of eth0)
set -euo pipefail

# --link DIR: also point DIR/vmlinuz and DIR/initrd.cpio.gz at the cached result (for
# examples/qemu-guest.yaml: test/guest/build-guest.sh --link examples/.guest).
LINK_DIR=
if [ "${1:-}" = --link ]; then
  [ -n "${2:-}" ] || { echo "build-guest.sh: --link needs a folder" >&2; exit 2; }
  LINK_DIR=$2
fi

die() {
  echo "build-guest.sh: $*" >&2
  exit 1
}

BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || BUSYBOX=/usr/bin/busybox
KERNEL=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$KERNEL" ] || [ ! -x "$BUSYBOX" ] || ! command -v cpio >/dev/null; then
  die "missing packages; install them with: apt-get install -y --no-install-recommends linux-image-amd64 busybox-static cpio"
fi
if ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' && ! "$BUSYBOX" --help >/dev/null 2>&1; then
  die "$BUSYBOX is not usable; install busybox-static"
fi
VERSION=${KERNEL#/boot/vmlinuz-}
MODDIR=/lib/modules/$VERSION
[ -f "$MODDIR/modules.dep" ] || die "no modules for kernel $VERSION in $MODDIR; reinstall linux-image-$VERSION"
[ -r "$KERNEL" ] || die "$KERNEL is not readable"

SLATTACH_C=$(dirname "$0")/slattach.c
[ -r "$SLATTACH_C" ] || die "$SLATTACH_C is missing"
command -v gcc >/dev/null || die "gcc is missing (it builds the guest's slattach); install it with: apt-get install -y gcc libc6-dev"
SCRIPT_HASH=$(cat "$0" "$SLATTACH_C" | sha256sum | cut -c1-12)
CACHE=${NETWEAVE_GUEST_CACHE:-$HOME/.cache/netweave-guest}
OUT=$CACHE/$VERSION-$SCRIPT_HASH
report() {
  if [ -n "$LINK_DIR" ]; then
    mkdir -p "$LINK_DIR"
    ln -sfn "$OUT/vmlinuz" "$LINK_DIR/vmlinuz"
    ln -sfn "$OUT/initrd.cpio.gz" "$LINK_DIR/initrd.cpio.gz"
  fi
  echo "KERNEL=$OUT/vmlinuz"
  echo "INITRD=$OUT/initrd.cpio.gz"
}
if [ -f "$OUT/initrd.cpio.gz" ] && [ -f "$OUT/vmlinuz" ]; then
  report
  exit 0
fi

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.build-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules,root,usr/bin,usr/sbin,usr/share/udhcpc}
cp "$BUSYBOX" "$ROOT/bin/busybox"
gcc -static -Os -s -o "$ROOT/bin/slattach" "$SLATTACH_C" || die "cannot build slattach (static: needs libc6-dev)"
# One symlink per applet the guest uses.
for applet in sh ash cat echo ls mount umount mkdir ip ifconfig route insmod sleep setsid \
  cttyhack nc ping ping6 udhcpc hostname grep sed cut tr head tail ps kill true false uname \
  dmesg seq wc printf test env; do
  ln -sf busybox "$ROOT/bin/$applet"
done

# The NIC drivers and their dependencies, in load order (modules.dep lists dependencies).
declare -a ORDER=()
declare -A SEEN=()
add_module() {
  local name=$1 rel line dep
  line=$(grep -E "(^|/)$name\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" | head -n 1 || true)
  [ -n "$line" ] || die "module $name not found for kernel $VERSION"
  rel=${line%%:*}
  [ -n "${SEEN[$rel]:-}" ] && return 0
  SEEN[$rel]=1
  for dep in ${line#*:}; do
    add_module "$(basename "${dep%%.ko*}")"
  done
  ORDER+=("$rel")
}
for m in e1000 virtio_net virtio_pci slip; do add_module "$m"; done
: >"$ROOT/lib/modules/order"
for rel in "${ORDER[@]}"; do
  base=$(basename "$rel")
  case "$base" in
  *.ko) cp "$MODDIR/$rel" "$ROOT/lib/modules/$base" ;;
  *.ko.xz) xz -dc "$MODDIR/$rel" >"$ROOT/lib/modules/${base%.xz}"; base=${base%.xz} ;;
  *.ko.zst) zstd -dqc "$MODDIR/$rel" >"$ROOT/lib/modules/${base%.zst}"; base=${base%.zst} ;;
  *.ko.gz) gzip -dc "$MODDIR/$rel" >"$ROOT/lib/modules/${base%.gz}"; base=${base%.gz} ;;
  *) die "unsupported module file $rel" ;;
  esac
  echo "$base" >>"$ROOT/lib/modules/order"
done

cat >"$ROOT/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc hook: apply the lease to the interface.
case "$1" in
bound | renew)
  ip -4 addr flush dev "$interface"
  ip -4 addr add "$ip/${mask:-24}" dev "$interface"
  [ -n "$router" ] && ip -4 route replace default via "${router%% *}" dev "$interface"
  echo "NETWEAVE-DHCP $ip"
  ;;
esac
exit 0
EOF
chmod +x "$ROOT/usr/share/udhcpc/default.script"

cat >"$ROOT/init" <<'EOF'
#!/bin/sh
# netweave test guest init.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
hostname netweave-guest
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done </lib/modules/order
ip link set lo up

arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1="*) echo "${w#*=}" ;; esac; done; }
SLIP=$(arg nw.slip)
if [ -n "$SLIP" ]; then
  # The line discipline lives as long as slattach holds the port open.
  slattach "/dev/$SLIP" >/tmp/slip.name 2>/tmp/slip.err &
  n=0
  while [ ! -s /tmp/slip.name ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
  [ -s /tmp/slip.name ] || echo "NETWEAVE-SLIP-FAILED $(cat /tmp/slip.err)"
  SLIPIF=$(cat /tmp/slip.name)
fi
IF=$(arg nw.if); IF=${IF:-${SLIPIF:-eth0}}
n=0
while [ ! -e "/sys/class/net/$IF" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
ip link set "$IF" up
# Wait for carrier (e1000 reports it about 2 s after the driver loads) so "ready" means usable.
n=0
while [ "$(cat "/sys/class/net/$IF/carrier" 2>/dev/null)" != 1 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done

IP=$(arg nw.ip); IP6=$(arg nw.ip6); GW=$(arg nw.gw); DHCP=$(arg nw.dhcp)
[ -n "$IP" ] && ip -4 addr add "$IP" dev "$IF"
# Planned addresses: skip duplicate address detection so IPv6 works at once (busybox ip has no nodad).
echo 0 >"/proc/sys/net/ipv6/conf/$IF/accept_dad" 2>/dev/null
[ -n "$IP6" ] && ip -6 addr add "$IP6" dev "$IF"
[ -n "$GW" ] && ip -4 route add default via "$GW"
if [ "$DHCP" = 1 ]; then
  udhcpc -i "$IF" -n -q -t 10 -T 1 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 \
    || echo "NETWEAVE-DHCP-FAILED"
fi

# TCP echo server on 4242, one connection at a time, restarted after each.
(while true; do nc -l -p 4242 -e /bin/cat; done) >/dev/null 2>&1 &

echo "NETWEAVE-GUEST-READY $(ip -4 -o addr show dev "$IF" | sed -n 's/.* inet \([^ ]*\).*/\1/p')"
export PS1='guest# '
while true; do setsid cttyhack sh; done
EOF
chmod +x "$ROOT/init"

(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -9 >"$WORK/initrd.cpio.gz"
mkdir -p "$WORK/out"
cp "$KERNEL" "$WORK/out/vmlinuz"
mv "$WORK/initrd.cpio.gz" "$WORK/out/initrd.cpio.gz"
rm -rf "$OUT"
mv "$WORK/out" "$OUT"
report
