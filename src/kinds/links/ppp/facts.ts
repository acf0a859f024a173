// The facts of the "ppp" link kind: pppd's options netweave passes on. No zod here.
import { parseIp } from '../../../shared/topology/address.js';
import { describeValue, listChoices } from '../../../shared/topology/text.js';
import type { PppLinkSpec } from './definition.js';

/** pppd's own address, as Zephyr's net-tools configure it. */
export const DEFAULT_PPP_LOCAL = '192.0.2.2';

/** The address pppd gives the Zephyr side. */
export const DEFAULT_PPP_PEER = '192.0.2.1';

/** The pppd the engine runs when the link names none. */
export const DEFAULT_PPPD_BINARY = 'pppd';

/** Checks an option's value; returns the problem (after "needs ") or undefined. */
type ValueCheck = (value: string) => string | undefined;

function wholeNumber(min: number, max: number): ValueCheck {
  return (v) =>
    /^[0-9]{1,6}$/.test(v) && Number(v) >= min && Number(v) <= max
      ? undefined
      : `a whole number from ${min} to ${max}`;
}

const ipv4Value: ValueCheck = (v) => {
  const p = parseIp(v, 4);
  return p.ok ? undefined : 'an IPv4 address such as 192.0.2.53';
};

const hexList: ValueCheck = (v) =>
  /^[0-9a-fA-F]{1,2}(,[0-9a-fA-F]{1,2})*$/.test(v)
    ? undefined
    : 'a comma-separated list of hex bytes such as 11,13';

const interfaceIds: ValueCheck = (v) =>
  /^[0-9a-fA-F:]*,[0-9a-fA-F:]*$/.test(v) && v.length <= 80
    ? undefined
    : 'two IPv6 interface identifiers separated by a comma, such as ::1,::2';

/**
 * The pppd options a topology may add, each a word or a word and one value. Options that run
 * programs, load plugins, read files or change the host's routes (connect, plugin, file,
 * ip-up-script, defaultroute, ...) are not here: a topology file never reaches a shell or a
 * program of its own choosing.
 */
export const PPPD_OPTIONS: Readonly<Record<string, ValueCheck | null>> = {
  debug: null,
  dump: null,
  kdebug: wholeNumber(0, 7),
  '+ipv6': null,
  noipv6: null,
  ipv6: interfaceIds,
  'ipv6cp-use-ipaddr': null,
  novj: null,
  noccp: null,
  noaccomp: null,
  nopcomp: null,
  nomagic: null,
  nodeflate: null,
  nobsdcomp: null,
  nopredictor1: null,
  passive: null,
  silent: null,
  noendpoint: null,
  proxyarp: null,
  noproxyarp: null,
  'ipcp-accept-local': null,
  'ipcp-accept-remote': null,
  mru: wholeNumber(128, 16384),
  mtu: wholeNumber(128, 16384),
  asyncmap: (v) =>
    /^(0x)?[0-9a-fA-F]{1,8}$/.test(v) ? undefined : 'a hex map such as 0 or 0xa0000',
  escape: hexList,
  'ms-dns': ipv4Value,
  'lcp-echo-interval': wholeNumber(0, 3600),
  'lcp-echo-failure': wholeNumber(0, 1000),
  'lcp-restart': wholeNumber(1, 600),
  'lcp-max-configure': wholeNumber(1, 1000),
  'lcp-max-terminate': wholeNumber(1, 1000),
  'lcp-max-failure': wholeNumber(1, 1000),
  'ipcp-restart': wholeNumber(1, 600),
  'ipcp-max-configure': wholeNumber(1, 1000),
  'ipcp-max-terminate': wholeNumber(1, 1000),
  'ipcp-max-failure': wholeNumber(1, 1000),
  'ipv6cp-restart': wholeNumber(1, 600),
  'ipv6cp-max-configure': wholeNumber(1, 1000),
  idle: wholeNumber(0, 86400),
  maxfail: wholeNumber(0, 1000),
  holdoff: wholeNumber(0, 3600),
  ifname: (v) =>
    /^[A-Za-z][A-Za-z0-9_-]{0,14}$/.test(v)
      ? undefined
      : 'an interface name of 1-15 letters, digits, "-" or "_" starting with a letter',
};

export const OPTIONS_EXAMPLE = '[debug, mru 1280]';

/** The argv words of one option as written ("mru 1280"), or the whole problem sentence. */
export function parsePppdOption(text: string): string[] | string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [name, value, ...rest] = words;
  if (name === undefined) return `the option is empty; write one pppd option such as debug`;
  if (!Object.hasOwn(PPPD_OPTIONS, name)) {
    return `${describeValue(name)} is not a pppd option netweave passes on; allowed options are ${listChoices(Object.keys(PPPD_OPTIONS))}`;
  }
  const check = PPPD_OPTIONS[name] ?? null;
  if (check === null) {
    return value === undefined
      ? [name]
      : `pppd option ${name} takes no value, but ${describeValue(text)} gives one; write just ${name}`;
  }
  if (value === undefined || rest.length > 0) {
    const needs = check('') ?? 'one value';
    return `pppd option ${name} needs ${needs} after it, e.g. "${name} ${exampleValue(name)}", but ${describeValue(text)} ${value === undefined ? 'has none' : 'has more than one'}`;
  }
  const problem = check(value);
  if (problem !== undefined) {
    return `pppd option ${name} needs ${problem}, not ${describeValue(value)}`;
  }
  return [name, value];
}

function exampleValue(name: string): string {
  switch (name) {
    case 'ms-dns':
      return '192.0.2.53';
    case 'asyncmap':
      return '0';
    case 'escape':
      return '11,13';
    case 'ipv6':
      return '::1,::2';
    case 'ifname':
      return 'ppp9';
    default:
      return name === 'mru' || name === 'mtu' ? '1280' : '10';
  }
}

/** The argv words of every extra option of a validated link. */
export function pppdOptionWords(spec: Pick<PppLinkSpec, 'options'>): string[] {
  const words: string[] = [];
  for (const text of spec.options ?? []) {
    const r = parsePppdOption(text);
    if (typeof r !== 'string') words.push(...r);
  }
  return words;
}
