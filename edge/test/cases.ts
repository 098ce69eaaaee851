/**
 * One table of viewer-request cases, run against the built function both in the local edge's vm and under
 * `njs`. Each case is a CloudFront event plus what must come out: an edge answer (status, error code) or a
 * request passed on (origin chosen, headers added). The KVS below is what the publisher would have written.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_VIEWER_HEADER_LINES } from '../../shared/contract/headers.js';
import { SHARED_ERRORS as E } from '../../shared/errors/codes.js';
import { buildKey } from '../../shared/keys/key-format.js';
import type { KeyVectors } from '../../shared/keys/make-vectors.js';
import { repoRoot } from '../../test-support/paths.js';
import type { CfEvent, CfMap } from '../local/function-runner.js';

export const vectors = JSON.parse(readFileSync(join(repoRoot(), 'shared/keys/vectors.json'), 'utf8')) as KeyVectors;
const S1 = vectors.signingSecrets['1']!;
const secretPart = 'Ab3De5Gh7Jk9Mn1Pq3St5Vw7Yz9Bc1Ef';

export const keys = {
  valid: vectors.vectors[0]!.key,
  revoked: buildKey('revoked00001', secretPart, 1, S1),
  blocked: buildKey('blocked00001', secretPart, 1, S1),
  homeEu: buildKey('homeeu000001', secretPart, 1, S1),
  homeDown: buildKey('homeap000001', secretPart, 1, S1),
  homeStale: buildKey('homeus000002', secretPart, 1, S1),
  homeNoRow: buildKey('homesa000003', secretPart, 1, S1),
};
/** Publication times of the region rows: one fresh, one that stopped publishing an hour ago. */
const NOW_S = Math.floor(Date.now() / 1000);
export const MASTER_KEY = 'sk-skyway-master-test-0123456789';
export const ORIGIN_VERIFY = 'ov-secret-for-tests';

export const EDGE_KVS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(vectors.signingSecrets).map(([v, s]) => [`sig:${v}`, s])),
  'k:revoked00001': JSON.stringify({ s: 'r', x: 4102444800 }),
  'k:blocked00001': JSON.stringify({ s: 'b' }),
  'k:homeeu000001': JSON.stringify({ h: 'eu-west-1' }),
  'k:homeap000001': JSON.stringify({ h: 'ap-south-1' }),
  'k:homeus000002': JSON.stringify({ h: 'us-west-2' }),
  'k:homesa000003': JSON.stringify({ h: 'sa-east-1' }),
  regions: JSON.stringify({
    'us-east-1': { w: 2, up: 1, near: ['US', 'CA'] },
    'eu-west-1': { w: 1, up: 1, near: ['DE', 'FR', 'IE'], o: 'regional-eu-west-1', t: NOW_S },
    'us-west-2': { w: 9, up: 1, near: ['MX'], o: 'regional-us-west-2', t: NOW_S - 3600 },
    'ap-south-1': { w: 5, up: 0, near: ['IN'] },
  }),
  ov: ORIGIN_VERIFY,
  mk: createHash('sha256').update(MASTER_KEY).digest('hex'),
};

export interface EdgeExpect {
  /** Set when the edge answers; absent when the request must go on to the origin. */
  status?: number;
  code?: string;
  /** Paths under /v1/messages: Anthropic's shape `{"type":"error","error":{"type","message"}}` with this type. */
  anthropicType?: string;
  /** A fragment the error message must contain. */
  message?: string;
  /** Response header `allow` (405). */
  allow?: string;
  /** Origin chosen with selectRequestOriginById; null = none (the distribution's default origin). */
  originId?: string | null;
  notOriginIds?: string[];
  /** x-skyway-key-id on the forwarded request; null = must be absent. */
  keyId?: string | null;
}

export interface EdgeCase {
  name: string;
  event: CfEvent;
  expect: EdgeExpect;
}

/** The viewer-request event CloudFront hands the function for this request (Host included). */
export function ev(method: string, uri: string, headers: Record<string, string> = {}): CfEvent {
  const h: CfMap = { host: { value: 'api.example.com' } };
  for (const [k, v] of Object.entries(headers)) h[k] = { value: v };
  return {
    version: '1.0',
    context: { distributionDomainName: 'd111.cloudfront.net', distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: 'r' },
    viewer: { ip: '198.51.100.7' },
    request: { method, uri, querystring: {}, headers: h, cookies: {} },
  };
}

const bearer = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });
const chat = (headers: Record<string, string>) => ev('POST', '/v1/chat/completions', { 'content-type': 'application/json', 'content-length': '120', ...headers });

/** `n` headers x-h0 … x-h<n-1>. */
const filler = (n: number, extra: Record<string, string> = {}) => ({ ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'])), ...extra });
/** A valid chat request with `lines` header lines in all (host, content-type, content-length, authorization and filler). */
const chatWithLines = (lines: number, extra: Record<string, string> = {}) => chat(bearer(keys.valid, filler(lines - 4, extra)));
/** `event` with one more header repeated `times` times (CloudFront's `multiValue`, the first value included). */
function repeated(event: CfEvent, times: number): CfEvent {
  const values = Array.from({ length: times }, (_, i) => ({ value: `v${i}` }));
  event.request.headers['x-repeated'] = { value: values[0]!.value, multiValue: values };
  return event;
}
/** `event` with cookies (CloudFront takes them out of the headers; they reach the origin as one Cookie line). */
function withCookies(event: CfEvent): CfEvent {
  event.request.cookies = { a: { value: '1' }, b: { value: '2' } };
  return event;
}
const MAX_LINES = MAX_VIEWER_HEADER_LINES;

export const EDGE_CASES: EdgeCase[] = [
  { name: 'health needs no key and goes to the default origin', event: ev('GET', '/health'), expect: { originId: null, keyId: null } },
  { name: 'valid key from the US goes to us-east-1 with the key id', event: chat(bearer(keys.valid, { 'cloudfront-viewer-country': 'US' })), expect: { originId: 'us-east-1', keyId: 'a1b2c3d4e5f6' } },
  { name: 'valid key without /v1 prefix', event: ev('POST', '/chat/completions', bearer(vectors.vectors[1]!.key)), expect: { keyId: 'zz00yy11xx22' } },
  { name: 'valid key on GET /v1/models/<id>', event: ev('GET', '/v1/models/gpt-4o', bearer(keys.valid)), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'Anthropic ingress with x-api-key', event: ev('POST', '/v1/messages', { 'x-api-key': keys.valid }), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'lower-case bearer scheme', event: chat({ authorization: `bearer ${keys.valid}` }), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'spoofed x-skyway headers are replaced', event: chat(bearer(keys.valid, { 'x-skyway-key-id': 'zzzzzzzzzzzz', 'x-skyway-origin-verify': 'guess' })), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'wrong method on a POST route', event: ev('GET', '/v1/chat/completions', bearer(keys.valid)), expect: { status: 405, code: 'method_not_allowed', allow: 'POST' } },
  { name: 'wrong method on a GET route', event: ev('DELETE', '/v1/models', bearer(keys.valid)), expect: { status: 405, code: 'method_not_allowed', allow: 'GET' } },
  { name: 'unknown path', event: ev('POST', '/v1/admin/keys', bearer(keys.valid)), expect: { status: 404, code: 'unknown_url' } },
  { name: 'operational path is not public', event: ev('GET', '/metrics'), expect: { status: 404, code: 'unknown_url' } },
  { name: 'nested models path', event: ev('GET', '/v1/models/a/b', bearer(keys.valid)), expect: { status: 404, code: 'unknown_url' } },
  { name: 'oversized declared body (checked before the key)', event: chat({ 'content-length': '4194305' }), expect: { status: 413, code: 'request_too_large' } },
  { name: 'body at the limit passes', event: chat(bearer(keys.valid, { 'content-length': '4194304' })), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'no key', event: chat({}), expect: { status: 401, code: 'missing_api_key' } },
  { name: 'non-bearer authorization', event: chat({ authorization: 'Basic dXNlcjpwYXNz' }), expect: { status: 401, code: 'invalid_api_key' } },
  { name: 'random token', event: chat(bearer('sk-1234567890abcdef')), expect: { status: 401, code: 'invalid_api_key' } },
  { name: 'master key (known by its hash) passes without a key id', event: chat(bearer(MASTER_KEY)), expect: { keyId: null, notOriginIds: ['ap-south-1'] } },
  { name: 'revoked key (the gateway code, from shared/errors)', event: chat(bearer(keys.revoked)), expect: { status: E.apiKeyRevoked.status, code: E.apiKeyRevoked.code } },
  { name: 'Anthropic path, no key: Anthropic shape naming x-api-key', event: ev('POST', '/v1/messages', { 'content-type': 'application/json' }), expect: { status: 401, anthropicType: E.missingApiKey.anthropicType, message: 'x-api-key' } },
  { name: 'Anthropic path, revoked key: Anthropic shape', event: ev('POST', '/v1/messages', { 'x-api-key': keys.revoked }), expect: { status: 401, anthropicType: 'authentication_error' } },
  { name: 'Anthropic count_tokens, bad key: Anthropic shape', event: ev('POST', '/v1/messages/count_tokens', { 'x-api-key': 'sk-ant-nope' }), expect: { status: 401, anthropicType: 'authentication_error' } },
  { name: 'unknown path under /v1/messages: Anthropic not_found_error', event: ev('POST', '/v1/messages/batches', { 'x-api-key': keys.valid }), expect: { status: 404, anthropicType: 'not_found_error' } },
  { name: 'wrong method on /v1/messages: Anthropic shape with allow', event: ev('GET', '/v1/messages', { 'x-api-key': keys.valid }), expect: { status: 405, anthropicType: 'invalid_request_error', allow: 'POST' } },
  { name: 'media upload above the JSON body limit but within the upload cap passes', event: ev('POST', '/v1/audio/transcriptions', bearer(keys.valid, { 'content-length': '10485760', 'content-type': 'multipart/form-data; boundary=x' })), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'image edit upload above the upload cap: request_too_large', event: ev('POST', '/images/edits', bearer(keys.valid, { 'content-length': '26214401' })), expect: { status: 413, code: 'request_too_large' } },
  { name: 'speech keeps the JSON body limit', event: ev('POST', '/v1/audio/speech', bearer(keys.valid, { 'content-length': '4194305' })), expect: { status: 413, code: 'request_too_large' } },
  { name: 'wrong method on a media route', event: ev('GET', '/v1/audio/translations', bearer(keys.valid)), expect: { status: 405, code: 'method_not_allowed', allow: 'POST' } },
  { name: 'Anthropic path, oversized body: request_too_large', event: ev('POST', '/v1/messages', { 'content-length': '4194305' }), expect: { status: 413, anthropicType: 'request_too_large' } },
  { name: 'header lines at the limit pass', event: chatWithLines(MAX_LINES), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'one header line over the limit: 431 (the gateway would never answer)', event: chatWithLines(MAX_LINES + 1), expect: { status: 431, code: E.requestHeaderFieldsTooLarge.code, message: `${MAX_LINES + 1} header lines` } },
  { name: 'many header lines: 431 before the path and the key are looked at', event: ev('GET', '/nowhere', filler(100)), expect: { status: 431, code: 'request_header_fields_too_large' } },
  { name: 'a repeated header counts one line per value (multiValue)', event: repeated(chatWithLines(MAX_LINES - 2), 3), expect: { status: 431, code: 'request_header_fields_too_large' } },
  { name: 'a repeated header within the limit passes', event: repeated(chatWithLines(MAX_LINES - 2), 2), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'cookies count as one header line', event: withCookies(chatWithLines(MAX_LINES)), expect: { status: 431, code: 'request_header_fields_too_large' } },
  { name: 'cookies within the limit pass', event: withCookies(chatWithLines(MAX_LINES - 1)), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'viewer x-skyway-* headers do not count (they are dropped)', event: chatWithLines(MAX_LINES, { 'x-skyway-key-id': 'zzzzzzzzzzzz', 'x-skyway-edge': '1' }), expect: { keyId: 'a1b2c3d4e5f6' } },
  { name: 'Anthropic path, too many header lines: 431 in Anthropic shape', event: ev('POST', '/v1/messages', filler(MAX_LINES, { 'x-api-key': keys.valid })), expect: { status: 431, anthropicType: E.requestHeaderFieldsTooLarge.anthropicType } },
  { name: 'blocked key', event: chat(bearer(keys.blocked)), expect: { status: 403, code: 'key_blocked' } },
  { name: 'home-region key goes home whatever the viewer', event: chat(bearer(keys.homeEu, { 'cloudfront-viewer-country': 'US' })), expect: { originId: 'regional-eu-west-1', keyId: 'homeeu000001' } },
  { name: 'home region unhealthy: 503 rather than another region', event: chat(bearer(keys.homeDown)), expect: { status: 503, code: 'home_region_unavailable' } },
  { name: 'viewer near an unhealthy region goes to a healthy one', event: chat(bearer(keys.valid, { 'cloudfront-viewer-country': 'IN' })), expect: { notOriginIds: ['ap-south-1'], keyId: 'a1b2c3d4e5f6' } },
  { name: 'a region whose row went stale is down for the viewers near it', event: chat(bearer(keys.valid, { 'cloudfront-viewer-country': 'MX' })), expect: { notOriginIds: ['regional-us-west-2', 'us-west-2'], keyId: 'a1b2c3d4e5f6' } },
  { name: 'a key pinned to a region whose row went stale: 503, never another region', event: chat(bearer(keys.homeStale)), expect: { status: 503, code: 'home_region_unavailable' } },
  { name: 'a key pinned to a region without a row goes to the default origin (the gateway re-checks)', event: chat(bearer(keys.homeNoRow, { 'cloudfront-viewer-country': 'DE' })), expect: { originId: null, keyId: 'homesa000003' } },
  { name: 'viewer in Germany goes to eu-west-1', event: chat(bearer(keys.valid, { 'cloudfront-viewer-country': 'DE' })), expect: { originId: 'regional-eu-west-1' } },
  // Every key vector, as a bearer token. (Header values lose surrounding whitespace in HTTP, so the vector
  // about trailing whitespace is a key-string case only.)
  ...vectors.vectors
    .filter((v) => v.key === v.key.trim())
    .map((v): EdgeCase => ({
      name: `key vector: ${v.name}`,
      event: chat(bearer(v.key)),
      expect: v.ok ? { keyId: v.keyId! } : { status: 401, code: 'invalid_api_key' },
    })),
];

/** What a runner observed for one case, normalised across the vm and njs. */
export interface EdgeObserved {
  status?: number;
  responseHeaders?: Record<string, string>;
  body?: string;
  requestHeaders?: Record<string, string>;
  originId: string | null;
}

/** Differences between what a case expects and what was observed (empty = pass). */
export function mismatches(c: EdgeCase, o: EdgeObserved): string[] {
  const out: string[] = [];
  const e = c.expect;
  if (e.status !== undefined) {
    if (o.status !== e.status) return [`status ${String(o.status)} (passed on: ${o.status === undefined}), expected ${e.status}`];
    if (o.responseHeaders?.['x-skyway-edge'] !== '1') out.push('missing x-skyway-edge: 1');
    if (o.responseHeaders?.['content-type'] !== 'application/json') out.push('content-type is not application/json');
    let body: { type?: unknown; error?: { message?: unknown; type?: unknown; code?: unknown } } = {};
    try {
      body = JSON.parse(o.body ?? '') as typeof body;
    } catch {
      out.push(`body is not JSON: ${o.body}`);
    }
    if (e.anthropicType !== undefined) {
      if (body.type !== 'error' || body.error?.type !== e.anthropicType) out.push(`Anthropic error ${JSON.stringify(body)}, expected type error / ${e.anthropicType}`);
      if (body.error && 'code' in body.error) out.push('an Anthropic error has no code field');
    } else {
      if (body.error?.code !== e.code) out.push(`error code ${String(body.error?.code)}, expected ${e.code}`);
      if (typeof body.error?.type !== 'string') out.push('error lacks type');
    }
    if (typeof body.error?.message !== 'string') out.push('error lacks message');
    else if (e.message !== undefined && !body.error.message.includes(e.message)) out.push(`message '${body.error.message}' does not mention ${e.message}`);
    if (e.allow !== undefined && o.responseHeaders?.['allow'] !== e.allow) out.push(`allow ${o.responseHeaders?.['allow']}, expected ${e.allow}`);
    return out;
  }
  if (o.status !== undefined) return [`edge answered ${o.status} ${o.body ?? ''}, expected the request to pass`];
  const rh = o.requestHeaders ?? {};
  if (rh['x-skyway-origin-verify'] !== ORIGIN_VERIFY) out.push('origin-verify header missing or wrong');
  if (e.keyId !== undefined && (rh['x-skyway-key-id'] ?? null) !== e.keyId) out.push(`key id header ${rh['x-skyway-key-id']}, expected ${e.keyId}`);
  if (e.originId !== undefined && o.originId !== e.originId) out.push(`origin ${o.originId}, expected ${e.originId}`);
  if (e.notOriginIds?.includes(o.originId ?? '')) out.push(`origin ${o.originId} must not be chosen`);
  return out;
}

/** Flatten `{name: {value}}` maps to `{name: value}`. */
export function flat(map: CfMap | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) out[k] = v.value;
  return out;
}
