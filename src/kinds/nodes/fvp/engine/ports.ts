// Host ports of FVP forwards: checked free before launch, because the model does not say when
// it cannot listen.
import { createServer } from 'node:net';
import { parseFvpForward } from '../facts.js';

/** A forward whose host side cannot be used, with the reason as the end of a sentence. */
export interface PortProblem {
  forward: string;
  reason: string;
}

/** Tries to listen on host:port (TCP) and closes at once; resolves with the errno code or undefined. */
export function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolveBind) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolveBind(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolveBind(undefined));
    });
  });
}

function explain(code: string, host: string, port: number): string {
  switch (code) {
    case 'EADDRINUSE':
      return `host port ${port} is already in use on the lab's host`;
    case 'EACCES':
      return `listening on port ${port} needs privileges the engine does not have`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of the lab's host`;
    default:
      return `the engine cannot listen on ${host}:${port} (${code})`;
  }
}

/** Checks every forward's host socket by binding it (in the namespace the model runs in). */
export async function checkForwardPorts(forwards: readonly string[]): Promise<PortProblem[]> {
  const problems: PortProblem[] = [];
  for (const forward of forwards) {
    const parsed = parseFvpForward(forward);
    if (!parsed.ok) {
      problems.push({ forward, reason: `it ${parsed.reason}` });
      continue;
    }
    const host = parsed.value.hostIp ?? '0.0.0.0';
    const code = await tryListen(host, parsed.value.hostPort);
    if (code !== undefined)
      problems.push({ forward, reason: explain(code, host, parsed.value.hostPort) });
  }
  return problems;
}
