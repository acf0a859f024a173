// The `fvp` node kind: an Arm FVP running Zephyr with user-mode networking. The model runs in
// the lab's host namespace (its hostbridge NATs from there and listens for the forwards there);
// it has no fabric port. UART0 goes to the model's stdout, which is the node's console.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineError, type NodeStatus } from '../../../../shared/contract.js';
import type { FvpNodeSpec } from '../../../../shared/topology/kinds/index.js';
import type { Port } from '../../../../engine/fabric/index.js';
import { findExecutable } from '../../../../engine/process/executable.js';
import {
  DEFAULT_ZEPHYR_READY_TIMEOUT_S,
  ZEPHYR_BANNER_PATTERN,
} from '../../../../engine/zephyr/banner.js';
import { ZephyrProcess } from '../../native-sim/engine/zephyrProcess.js';
import type {
  NodeConsole,
  NodeInstance,
  NodeKind,
  MainProcess,
} from '../../../../engine/nodes/types.js';
import { NodeBase } from '../../../../engine/nodes/types.js';
import { fvpArgs, fvpModelName } from './argv.js';
import { checkForwardPorts } from './ports.js';

/** The environment variable Zephyr's build reads for the folder of the FVP binaries. */
export const ARMFVP_BIN_PATH_ENV = 'ARMFVP_BIN_PATH';

/** Where the model binary is looked for, and what to tell the user when it is not there. */
export function fvpBinaryCandidate(
  spec: FvpNodeSpec,
  topologyDir: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const model = fvpModelName(spec);
  if (spec.path !== undefined) {
    const path = resolve(topologyDir, spec.path);
    try {
      if (statSync(path).isDirectory()) return join(path, model);
    } catch {
      // reported by findExecutable
    }
    return path;
  }
  const dir = env[ARMFVP_BIN_PATH_ENV];
  return dir ? join(dir, model) : model;
}

/** The model binary, the absolute image path and the argv; checks files and forwards first. */
export async function checkFvp(
  name: string,
  spec: FvpNodeSpec,
  topologyDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string[]> {
  const candidate = fvpBinaryCandidate(spec, topologyDir, env);
  const found = await findExecutable(candidate, topologyDir, env);
  if (!found.ok) {
    throw new EngineError(
      'missing-binary',
      `fvp node "${name}" cannot start: ${found.problem}; install the Arm FVP and set "path" (or ${ARMFVP_BIN_PATH_ENV}) to its folder`,
    );
  }
  const elf = resolve(topologyDir, spec.elf);
  let isFile: boolean;
  try {
    isFile = statSync(elf).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    throw new EngineError(
      'bad-request',
      `fvp node "${name}" cannot start: the image ${elf} does not exist (elf: ${spec.elf}); build it with west build or correct "elf"`,
    );
  }
  const problems = spec.networking ? await checkForwardPorts(spec.forwards ?? []) : [];
  const first = problems[0];
  if (first) {
    throw new EngineError(
      'busy',
      `fvp node "${name}" cannot forward "${first.forward}": ${first.reason}; choose another host port`,
    );
  }
  return [found.path, ...fvpArgs(spec, elf)];
}

/** A running FVP node. */
export class FvpNode extends NodeBase<FvpNodeSpec> implements NodeInstance {
  readonly kind = 'fvp';
  private model: ZephyrProcess | undefined;
  private started: Promise<void> | undefined;

  create(): Promise<void> {
    return Promise.resolve();
  }

  port(name: string): Promise<Port> {
    return Promise.reject(
      new EngineError(
        'bad-request',
        `fvp node "${this.name}" has no port "${name}": it uses the model's user-mode networking; reach it through "forwards"`,
      ),
    );
  }

  wire(): Promise<void> {
    return Promise.resolve();
  }

  async start(): Promise<void> {
    if (!this.model) {
      const argv = await checkFvp(this.name, this.spec, this.ctx.topologyDir);
      this.model = new ZephyrProcess(
        {
          name: this.name,
          argv,
          cwd: this.ctx.topologyDir,
          readyPattern: this.spec.ready?.pattern ?? ZEPHYR_BANNER_PATTERN,
          readyTimeoutMs: (this.spec.ready?.timeout ?? DEFAULT_ZEPHYR_READY_TIMEOUT_S) * 1000,
          restart: this.spec.restart ?? 'never',
        },
        this.ctx,
        (s, r) => this.setState(s, r),
      );
    }
    const started = this.model.start();
    // Observed by ready(); a failure before then must not be an unhandled rejection.
    started.catch(() => undefined);
    this.started = started;
  }

  /** Resolves when the model printed the ready line. */
  ready(): Promise<void> {
    return this.started ?? Promise.reject(new Error(`node "${this.name}" was not started`));
  }

  async stop(): Promise<void> {
    await this.model?.stop();
  }

  console(): NodeConsole | undefined {
    return this.model?.console();
  }

  protected override mainProcess(): MainProcess | undefined {
    return this.model;
  }

  status(): NodeStatus {
    return this.statusOf({ ports: [] });
  }

  async dispose(): Promise<void> {
    await this.model?.dispose();
    this.model = undefined;
  }
}

/** The `fvp` kind. */
export const fvpKind: NodeKind<FvpNodeSpec> = {
  instantiate: (name, spec, ctx) => new FvpNode(name, spec, ctx),
  preflight: async (name, spec, ctx) => {
    await checkFvp(name, spec, ctx.topologyDir);
  },
};
