// The tether of pasta, an isolated lab's way out when it is not slirp4netns (see outside.ts).
// The launcher starts it outside the lab's namespaces with fd 3 the read end of the lab's
// lifetime FIFO (the engine holds the only writer) and fd 4 a readiness pipe. It runs the pasta
// command it is given, which daemonizes once the lab's TAP is configured; reports pasta's pid
// on fd 4; and stops pasta when the FIFO hangs up (the engine exited or was killed), when it is
// asked to stop itself, or exits when pasta is gone. pasta itself never notices the lab is gone:
// it holds the lab's network namespace open.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { isSameProcessAlive, processStartTime, signal } from '../host/procfs.js';

/** The fds the launcher hands over: 3 the lifetime FIFO, 4 the readiness pipe. */
const EXIT_FD = 3;
const READY_FD = 4;
/** How often the tether checks that pasta still runs. */
const POLL_MS = 1_000;
/** How long pasta may take to exit after SIGTERM before it is killed. */
const TERM_WAIT_MS = 3_000;

function say(line: string): void {
  process.stderr.write(`netweave outside link: ${line}\n`);
}

function parse(argv: string[]): { pidFile: string; command: [string, ...string[]] } | undefined {
  const sep = argv.indexOf('--');
  if (argv[0] !== '--pid-file' || argv[1] === undefined || sep !== 2) return undefined;
  const command = argv.slice(sep + 1);
  return command.length > 0
    ? { pidFile: argv[1], command: command as [string, ...string[]] }
    : undefined;
}

/** Runs the daemonizing command; resolves its exit code (128 + n for a signal, -1 not run). */
function runToDaemon(command: [string, ...string[]]): Promise<number> {
  // pasta must hold neither the FIFO nor the ready pipe: its fds 3 and 4 become /dev/null.
  const devnull = openSync('/dev/null', 'r+');
  const [cmd, ...args] = command;
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', devnull, devnull] });
  closeSync(devnull);
  return new Promise((res) => {
    child.once('error', (err) => {
      say(`cannot run ${cmd}: ${err.message}`);
      res(-1);
    });
    child.once('exit', (code, sig) => res(code ?? (sig ? 128 : 1)));
  });
}

async function stop(pid: number, start: string): Promise<void> {
  if (!isSameProcessAlive(pid, start)) return;
  signal(pid, 'SIGTERM');
  const until = Date.now() + TERM_WAIT_MS;
  while (Date.now() < until && isSameProcessAlive(pid, start)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (isSameProcessAlive(pid, start)) signal(pid, 'SIGKILL');
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (!args) {
    say('usage: outsideTether --pid-file FILE -- COMMAND [ARG...]');
    return 2;
  }
  // The hang-up of the lifetime FIFO: the engine is gone.
  const lifetime = new Socket({ fd: EXIT_FD, readable: true, writable: false });
  const hangup = new Promise<string>((res) => {
    lifetime.once('end', () => res('the lab engine exited'));
    lifetime.once('close', () => res('the lab engine exited'));
    lifetime.once('error', () => res('the lab engine exited'));
  });
  lifetime.resume();
  const asked = new Promise<string>((res) => {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(sig, () => res(`asked to stop (${sig})`));
    }
  });

  const code = await runToDaemon(args.command);
  if (code !== 0) {
    say(`${args.command[0]} exited with code ${code} before it connected the lab`);
    return code > 0 ? code : 1;
  }
  let pid = 0;
  try {
    pid = Number(readFileSync(args.pidFile, 'utf8').trim());
  } catch {
    // reported below
  }
  const start = Number.isInteger(pid) && pid > 0 ? processStartTime(pid) : undefined;
  if (start === undefined) {
    say(`${args.command[0]} wrote no live pid to ${args.pidFile}`);
    return 1;
  }
  writeSync(READY_FD, `${pid}\n`);
  closeSync(READY_FD);
  say(`pasta (pid ${pid}) connects the lab to the outside`);

  let poll: NodeJS.Timeout | undefined;
  const gone = new Promise<string>((res) => {
    poll = setInterval(() => {
      if (!isSameProcessAlive(pid, start)) res('pasta exited');
    }, POLL_MS);
  });
  const why = await Promise.race([hangup, asked, gone]);
  clearInterval(poll);
  say(`${why}: stopping pasta (pid ${pid})`);
  await stop(pid, start);
  rmSync(args.pidFile, { force: true });
  lifetime.destroy();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
