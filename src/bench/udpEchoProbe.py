# The UDP echo probe of the zephyrStart benchmark: the same program, started the same way, in both
# arms. Usage: python3 udpEchoProbe.py ADDR PORT DEADLINE_MS, then one line on stdin naming a
# network namespace file (/run/netns/NAME).
#
# The benchmark starts the probe before its clock and waits for `started`; at the clock start it
# writes the namespace path, and the probe enters that namespace (setns) as soon as it can: it
# retries every ENTER_RETRY_S while the file is missing or not yet a namespace (`ip netns add`
# creates the file a moment before it bind-mounts the namespace on it). So neither arm pays for
# the probe's own start-up, and both pay the same 5 ms polling.
#
# Inside, every SEND_EVERY_S it sends a numbered datagram to ADDR:PORT (send errors, such as no
# route before the namespace has its address, are ignored: it simply tries again) and stops at the
# first datagram that equals one it sent. Prints `ready <ms>` once inside the namespace and
# `echo <ms> <seq>` at the first good echo (exit 0), or `timeout <ms>` (exit 1). <ms> is
# CLOCK_MONOTONIC in milliseconds, the clock of Node's process.hrtime().
#
# ARP: Linux retries an unanswered ARP request once a second (retrans_time_ms), so a request sent
# while Zephyr is still booting would put the first echo on a 1 s grid after Zephyr's real
# readiness. The probe therefore sets, on every interface of its namespace as it appears,
# retrans_time_ms to the send interval and mcast_solicit high: the namespace asks again every
# 20 ms. It does so in both arms; it is a measuring aid, not part of either recipe.
import ctypes
import os
import select
import socket
import sys
import time

# The interval between datagrams (and ARP retries): the resolution of the measurement.
SEND_EVERY_S = 0.020
# Pause between attempts to enter the namespace: well under one send interval.
ENTER_RETRY_S = 0.005
# Broadcast ARP requests before a neighbour entry fails: more than a minute at 20 ms.
ARP_SOLICITS = 5000
CLONE_NEWNET = 0x40000000
NEIGH = '/proc/sys/net/ipv4/neigh'

libc = ctypes.CDLL(None, use_errno=True)


def now_ms():
    return time.monotonic() * 1000


def say(line, code=None):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()
    if code is not None:
        sys.exit(code)


def enter(path):
    """True once this process is in the namespace pinned at path."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return libc.setns(fd, CLONE_NEWNET) == 0
    finally:
        os.close(fd)


tuned = set()


def tune_arp():
    for itf in os.listdir(NEIGH):
        if itf in ('default', 'lo') or itf in tuned:
            continue
        try:
            with open(f'{NEIGH}/{itf}/retrans_time_ms', 'w') as f:
                f.write(str(int(SEND_EVERY_S * 1000)))
            with open(f'{NEIGH}/{itf}/mcast_solicit', 'w') as f:
                f.write(str(ARP_SOLICITS))
            tuned.add(itf)
        except OSError:
            pass  # the interface went away between the listing and the write


def main():
    if len(sys.argv) != 4:
        say('usage: udpEchoProbe.py ADDR PORT DEADLINE_MS', 2)
    addr, port, deadline_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    say('started')
    path = sys.stdin.readline().strip()
    deadline = now_ms() + deadline_ms
    while not enter(path):
        if now_ms() > deadline:
            say(f'timeout {now_ms():.2f}', 1)
        time.sleep(ENTER_RETRY_S)
    say(f'ready {now_ms():.2f}')
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sent = {}
    seq = 0
    next_send = now_ms()
    while True:
        t = now_ms()
        if t > deadline:
            say(f'timeout {t:.2f}', 1)
        if t >= next_send:
            tune_arp()
            seq += 1
            payload = f'netweave-bench {os.getpid()} #{seq}'.encode()
            sent[payload] = seq
            try:
                sock.sendto(payload, (addr, port))
            except OSError:
                pass
            next_send = t + SEND_EVERY_S * 1000
        ready, _, _ = select.select([sock], [], [], max(0.0, (next_send - now_ms()) / 1000))
        if not ready:
            continue
        try:
            data, _ = sock.recvfrom(2048)
        except OSError:
            continue
        if data in sent:
            say(f'echo {now_ms():.2f} {sent[data]}', 0)


main()
