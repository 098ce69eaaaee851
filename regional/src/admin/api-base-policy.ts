/**
 * Which upstream URLs an admin may give a deployment (`api_base`). The gateway sends requests, with the
 * deployment's credential, to whatever is stored there, so an `api_base` is a server-side request target:
 *
 * - never link-local or cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, their IPv4-mapped
 *   and NAT64 forms, and the metadata host names), whatever the allowlist says;
 * - `https:` only, except for hosts the operator lists in `SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS` (comma separated,
 *   e.g. `vllm.internal,10.0.3.7`);
 * - loopback (127.0.0.0/8, ::1, `localhost`, 0.0.0.0) only in local mode (`npm start` sets `SKYWAY_LOCAL=1`)
 *   or when listed in the allowlist;
 * - no user:password in the URL (credentials go in `api_key`, which is write-only).
 *
 * Host names are checked as written; one that resolves to a forbidden address later is not caught here.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidRequest } from '../errors/catalogue.js';

export interface ApiBasePolicy {
  /** Host names or IP literals (lower case, IPv6 without brackets) allowed over plain http. */
  allowHttpHosts: ReadonlySet<string>;
  /** Local stack: loopback upstreams (the mock, a local model server) are allowed over http. */
  local: boolean;
}

/** From SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS and SKYWAY_LOCAL=1. */
export function apiBasePolicyFromEnv(env: NodeJS.ProcessEnv = process.env): ApiBasePolicy {
  const hosts = (env.SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS ?? '')
    .split(',')
    .map((h) => normaliseHost(h.trim()))
    .filter(Boolean);
  return { allowHttpHosts: new Set(hosts), local: env.SKYWAY_LOCAL === '1' };
}

const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.com']);

function normaliseHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  while (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

function ipv4Octets(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** The IPv4 address embedded in an IPv4-mapped (::ffff:a.b.c.d), compatible (::a.b.c.d) or NAT64 address. */
function embeddedIPv4(ip6: string): string | undefined {
  const m = /^(?:::ffff:|::|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(ip6);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = parseInt(m[2]!, 16);
  const lo = parseInt(m[3]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Expand an IPv6 literal to eight 16-bit groups. */
function ipv6Groups(ip6: string): number[] {
  const [head, tail] = ip6.includes('::') ? ip6.split('::') : [ip6, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

type HostClass = 'forbidden' | 'loopback' | 'other';

function classifyIPv4(ip: string): HostClass {
  const [a, b] = ipv4Octets(ip);
  if (a === 169 && b === 254) return 'forbidden';
  if (a === 127 || a === 0) return 'loopback';
  return 'other';
}

export function classifyHost(rawHost: string): HostClass {
  const host = normaliseHost(rawHost);
  if (METADATA_HOSTS.has(host)) return 'forbidden';
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  if (isIPv4(host)) return classifyIPv4(host);
  if (isIPv6(host)) {
    const v4 = embeddedIPv4(host);
    if (v4) return classifyIPv4(v4);
    const g = ipv6Groups(host);
    if ((g[0]! & 0xffc0) === 0xfe80) return 'forbidden';
    if (g.join(':') === [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254].join(':')) return 'forbidden';
    if (g.slice(0, 7).every((x) => x === 0) && (g[7] === 1 || g[7] === 0)) return 'loopback';
  }
  return 'other';
}

/** Drop trailing slashes in linear time (a regex like `/\/+$/` backtracks quadratically on `/a////…b`). */
export function trimTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * Throws 400 `api_base_not_allowed` when the URL breaks the policy.
 *
 * @example checkApiBase('http://169.254.169.254/latest', apiBasePolicyFromEnv()) // throws
 */
export function checkApiBase(apiBase: string, policy: ApiBasePolicy): void {
  const refuse = (why: string): never => {
    throw new InvalidRequest(`api_base is not allowed: ${why}`, 'api_base', 'api_base_not_allowed');
  };
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    return refuse('it is not a URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(`the scheme ${url.protocol} is not http(s).`);
  if (url.username || url.password) refuse('it carries user credentials; put the credential in api_key (write-only).');
  const host = normaliseHost(url.hostname);
  const kind = classifyHost(host);
  if (kind === 'forbidden') refuse(`${host} is a link-local or cloud metadata address.`);
  const listed = policy.allowHttpHosts.has(host);
  if (kind === 'loopback' && !policy.local && !listed) refuse(`${host} is a loopback address; list it in SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS to allow it.`);
  if (url.protocol === 'http:' && !listed && !(kind === 'loopback' && policy.local)) {
    refuse(`plain http is allowed only for hosts listed in SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS (${host} is not); use https.`);
  }
}
