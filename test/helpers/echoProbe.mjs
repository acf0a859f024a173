// Checks a Zephyr echo_server from inside a lab node: `netweave exec NODE -- node echoProbe.mjs
// [options] ADDR...`. For each address it pings, sends a UDP datagram to ADDR:PORT and expects the
// same bytes back, and opens TCP to ADDR:PORT, sends a payload and reads all of it back before
// closing (echo_server serves one TCP connection per address family at a time, and Zephyr
// v3.5.0's TCP mishandles a peer that half-closes before the echo). Each check is retried until
// it passes or the deadline passes. Prints one JSON object:
//   {"ok": bool, "elapsedMs": n, "results": [{"address", "check", "ok", "attempts", "ms", "error"?}]}
// and exits 0 when every check passed, 1 when one did not, 2 on a usage error.
// Plain JavaScript on purpose: it runs with the test's own `node` inside the node's namespace.
//
// Options: --deadline-ms N (whole run, default 60000), --checks ping,udp,tcp (default all),
// --port N (default 4242), --attempt-ms N (longest wait for one reply, default 1500),
// --size N (payload bytes, default 64).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';

/** Pause between failed attempts: long enough not to flood a booting guest, short against TCG. */
const RETRY_PAUSE_MS = 250;
/** How long a TCP close may take before the socket is destroyed (the server closes on our FIN). */
const CLOSE_WAIT_MS = 1000;

function usage(message) {
  process.stderr.write(`echoProbe: ${message}\n`);
  process.exit(2);
}

function parse(argv) {
  const o = {
    deadlineMs: 60_000,
    checks: ['ping', 'udp', 'tcp'],
    port: 4242,
    attemptMs: 1500,
    size: 64,
    addresses: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const number = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n <= 0) usage(`${a} needs a positive integer`);
      return n;
    };
    if (a === '--deadline-ms') o.deadlineMs = number();
    else if (a === '--attempt-ms') o.attemptMs = number();
    else if (a === '--port') o.port = number();
    else if (a === '--size') o.size = number();
    else if (a === '--checks') {
      o.checks = value().split(',');
      for (const c of o.checks)
        if (!['ping', 'udp', 'tcp'].includes(c)) usage(`unknown check ${c}`);
    } else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (isIP(a) === 0) usage(`${a} is not an IP address`);
    else o.addresses.push(a);
  }
  if (o.addresses.length === 0) usage('give at least one address');
  return o;
}

/** A payload that names the attempt, so a late echo of an earlier one is never mistaken. */
function payload(check, address, attempt, size) {
  const head = Buffer.from(`netweave-echo ${check} ${address} #${attempt} `);
  return Buffer.concat([
    head,
    randomBytes(Math.max(0, size - head.length)).map((b) => 0x41 + (b % 26)),
  ]);
}

function ping(address, o) {
  const waitS = String(Math.max(1, Math.ceil(o.attemptMs / 1000)));
  return new Promise((resolve, reject) => {
    execFile('ping', ['-c', '1', '-W', waitS, address], (err, stdout) => {
      if (err) reject(new Error(stdout.trim().split('\n').pop() || err.message));
      else resolve();
    });
  });
}

function udp(address, o, attempt) {
  const sent = payload('udp', address, attempt, o.size);
  const sock = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new Error(`no UDP echo within ${o.attemptMs} ms`)),
      o.attemptMs,
    );
    sock.on('error', (err) => done(err));
    sock.on('message', (msg) => {
      if (msg.equals(sent)) done();
    });
    sock.send(sent, o.port, address);
  });
}

function tcp(address, o, attempt) {
  const sent = payload('tcp', address, attempt, o.size);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: address, port: o.port });
    let got = Buffer.alloc(0);
    let settled = false;
    const finish = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        sock.destroy();
        reject(err);
        return;
      }
      // The echo is complete: close our side and give the server a moment to close its own, so
      // that the next connection of this address family finds the server waiting again.
      const closer = setTimeout(() => sock.destroy(), CLOSE_WAIT_MS);
      sock.once('close', () => {
        clearTimeout(closer);
        resolve();
      });
      sock.end();
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `TCP echo incomplete after ${o.attemptMs} ms (${got.length}/${sent.length} bytes)`,
          ),
        ),
      o.attemptMs,
    );
    sock.on('connect', () => sock.write(sent));
    sock.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < sent.length) return;
      if (got.equals(sent)) finish();
      else finish(new Error(`TCP echo differs: sent ${sent.length} bytes, got ${got.length}`));
    });
    sock.on('error', (err) => finish(err));
    sock.on('end', () =>
      finish(new Error(`server closed after ${got.length}/${sent.length} bytes`)),
    );
  });
}

const CHECKS = { ping, udp, tcp };

async function run(o) {
  const start = Date.now();
  const deadline = start + o.deadlineMs;
  const results = [];
  for (const address of o.addresses) {
    for (const check of o.checks) {
      const t0 = Date.now();
      let attempts = 0;
      let error;
      let ok = false;
      while (!ok) {
        attempts++;
        try {
          await CHECKS[check](address, o, attempts);
          ok = true;
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
          if (Date.now() + RETRY_PAUSE_MS >= deadline) break;
          await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        }
      }
      results.push({
        address,
        check,
        ok,
        attempts,
        ms: Date.now() - t0,
        ...(ok ? {} : { error }),
      });
    }
  }
  return { ok: results.every((r) => r.ok), elapsedMs: Date.now() - start, results };
}

const report = await run(parse(process.argv.slice(2)));
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exitCode = report.ok ? 0 : 1;
