// The params of every command, as checked where a call crosses a process boundary: the lab
// engine's socket, the app service's message transports (WebSocket, the Electron service host).
// The contract's types say what a well-behaved client sends; these schemas hold any client to
// it, so that a handler receives its params typed and checked and a bad call is refused with one
// sentence naming the command and the field, before anything acts on it.
//
// Each schema is tied to its command's params type (`satisfies` below): a command added to the
// contract without a schema, or a schema that drifts from its type, does not compile.
import { z } from 'zod';
import {
  ENGINE_COMMAND_NAMES,
  EngineError,
  labCommandName,
  type AppOwnCommands,
  type CommandName,
  type CommandParams,
  type EngineCommands,
  type WithLab,
} from './contract.js';
import { checkName, MAX_NAME_LENGTH } from './topology/names.js';
import { shown } from './wire.js';

/** A command that takes no params: `{}` (extra keys are refused, as for every command). */
const none = z.strictObject({});
const text = z.string();
/** An id the service or engine handed out (capture, viewer), a target or a path: never empty. */
const nonEmpty = z.string().min(1, 'must not be empty');
const count = z.number().int().positive();

/**
 * Checks a lab or node name a client sent by the topology file's naming rule (the names a lab
 * and its nodes can have); returns one sentence when it is not one. Names become runtime folder
 * names, so this is what keeps "../x" and "/etc" away from the file system.
 */
export function clientNameProblem(
  value: string,
  what: 'lab name' | 'node name',
): string | undefined {
  // A very long name is not quoted back whole.
  return value.length > 2 * MAX_NAME_LENGTH
    ? `${what} ${shown(value)} is ${value.length} characters, over the limit of ${MAX_NAME_LENGTH}; shorten it`
    : checkName(value, what);
}

/** A lab or node name, by the topology file's naming rule. */
function nameOf(what: 'lab name' | 'node name'): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    const problem = clientNameProblem(value, what);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}
const labName = nameOf('lab name');
const nodeName = nameOf('node name');

/** The params of every engine command. */
export const ENGINE_PARAMS = {
  status: none,
  down: none,
  exec: z.strictObject({
    node: nodeName,
    argv: z.array(text).min(1, 'needs a command: netweave exec NODE -- CMD...'),
    stdin: text.optional(),
    timeoutMs: count.optional(),
  }),
  consoleWrite: z.strictObject({ node: nodeName, data: text }),
  consoleResize: z.strictObject({ node: nodeName, cols: count, rows: count }),
  consoleScrollback: z.strictObject({ node: nodeName }),
  nodeStart: z.strictObject({ node: nodeName }),
  nodeStop: z.strictObject({ node: nodeName }),
  nodeReset: z.strictObject({ node: nodeName }),
  stats: none,
  captureStart: z.strictObject({ target: nonEmpty, wireFrames: z.boolean().optional() }),
  captureStop: z.strictObject({ captureId: nonEmpty }),
  linkSet: z.strictObject({ port: nonEmpty, up: z.boolean() }),
  linkImpair: z.strictObject({
    link: nonEmpty,
    dir: z.enum(['a->b', 'b->a']).optional(),
    spec: text.optional(),
    clear: z.boolean().optional(),
  }),
} satisfies { [K in CommandName]: z.ZodType<EngineCommands[K]['params']> };

const layout = z.strictObject({
  version: z.literal(1),
  nodes: z.record(z.string(), z.strictObject({ x: z.number(), y: z.number() })),
});

/** The params of the app service's own commands. */
export const APP_OWN_PARAMS = {
  appInfo: none,
  validateText: z.strictObject({ text, file: text }),
  listExamples: none,
  openFile: z.strictObject({ file: nonEmpty }),
  saveFile: z.strictObject({ file: nonEmpty, text, layout: layout.nullable() }),
  chooseFile: z.strictObject({
    mode: z.enum(['open', 'save', 'directory']),
    defaultPath: text.optional(),
  }),
  recentFiles: none,
  labList: none,
  labLaunch: z.strictObject({ file: nonEmpty, network: z.enum(['isolated', 'host']).optional() }),
  labAttach: z.strictObject({ lab: labName }),
  labStop: z.strictObject({ lab: labName }),
  consoleAttach: z.strictObject({ lab: labName, node: nodeName }),
  consoleAck: z.strictObject({ viewer: nonEmpty, chars: z.number().int().nonnegative() }),
  consoleDetach: z.strictObject({ viewer: nonEmpty }),
  consolePopOut: z.strictObject({ lab: labName, node: nodeName }),
  captureOpen: z.strictObject({
    lab: labName,
    target: nonEmpty,
    sink: z.enum(['wireshark', 'file', 'stream']),
    file: text.optional(),
    wireFrames: z.boolean().optional(),
  }),
  captureClose: z.strictObject({ lab: labName, captureId: nonEmpty }),
  importZephyr: z.strictObject({
    buildDirs: z.array(nonEmpty).min(1, 'needs at least one build directory'),
    text,
  }),
  serviceRestart: none,
} satisfies { [K in keyof AppOwnCommands]: z.ZodType<AppOwnCommands[K]['params']> };

/** An engine command's params with the name of the lab it is for (checked first). */
function withLab<K extends CommandName>(cmd: K): z.ZodType<WithLab<CommandParams<K>>> {
  const schema = z.strictObject({ lab: labName, ...ENGINE_PARAMS[cmd].shape });
  return schema as unknown as z.ZodType<WithLab<CommandParams<K>>>;
}

const APP_PARAMS: Record<string, z.ZodType> = { ...APP_OWN_PARAMS };
for (const cmd of ENGINE_COMMAND_NAMES) APP_PARAMS[labCommandName(cmd)] = withLab(cmd);

/** Where in the params an issue is, for the message: `"argv"`, `"layout.nodes.a.x"`. */
function where(path: readonly PropertyKey[]): string {
  return `"${path.map(String).join('.')}"`;
}

/**
 * One sentence for the problem that matters most (the rest follow once it is fixed): a name
 * that breaks the naming rule first (its sentence is whole already), unknown keys last.
 */
function sentence(cmd: string, error: z.ZodError, params: unknown): string {
  const issues = error.issues;
  const issue =
    issues.find((i) => i.code === 'custom') ??
    issues.find((i) => i.code !== 'unrecognized_keys') ??
    issues[0];
  if (issue === undefined) return `"${cmd}": its params are not valid`;
  if (issue.code === 'custom') return issue.message;
  if (issue.path.length === 0) {
    return issue.code === 'unrecognized_keys'
      ? `"${cmd}" takes no ${issue.keys.map((k) => shown(k)).join(', ')}`
      : `"${cmd}" takes its params as an object`;
  }
  if (issue.code === 'invalid_type' && valueAt(params, issue.path) === undefined) {
    return `"${cmd}" needs ${where(issue.path)}`;
  }
  const said = issue.message.replace(/^Invalid input: /, '').replace(/^./, (c) => c.toLowerCase());
  return `"${cmd}": ${where(issue.path)} ${said}`;
}

/** The value at `path` in what the client sent (undefined where there is none). */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function check<T>(schema: z.ZodType<T>, cmd: string, params: unknown): T {
  const r = schema.safeParse(params ?? {});
  if (!r.success) throw new EngineError('bad-request', sentence(cmd, r.error, params));
  return r.data;
}

/** Checks an engine command's params; throws a bad-request EngineError of one sentence. */
export function parseEngineParams<K extends CommandName>(
  cmd: K,
  params: unknown,
): CommandParams<K> {
  if (!Object.hasOwn(ENGINE_PARAMS, cmd)) {
    throw new EngineError('bad-request', `unknown command ${shown(String(cmd))}`);
  }
  return check(ENGINE_PARAMS[cmd] as z.ZodType, cmd, params) as CommandParams<K>;
}

/** Checks an app command's params (own or forwarded); throws like parseEngineParams. */
export function parseAppParams(cmd: string, params: unknown): unknown {
  const schema = Object.hasOwn(APP_PARAMS, cmd) ? APP_PARAMS[cmd] : undefined;
  if (schema === undefined) {
    throw new EngineError('bad-request', `unknown command ${shown(String(cmd))}`);
  }
  return check(schema, cmd, params);
}
