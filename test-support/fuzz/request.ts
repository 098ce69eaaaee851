/**
 * Turns a generated FuzzCase into the bytes sent on the wire, and into a readable reproducer for reports
 * (long runs collapsed, control bytes escaped, keys named rather than printed).
 */
import { expectsAnswer, UNOWED_ANSWER_WAIT_MS } from './invariants.js';
import type { AbortPlan } from './raw-client.js';
import type { AuthStyle, BodySpec, FuzzCase, RawJson } from './generators.js';

export interface Keys {
  /** The virtual key with limits. */
  key: string;
  masterKey: string;
}

export interface WireRequest {
  pieces: Buffer[];
  headRequest: boolean;
  abort: AbortPlan;
}

/** Stands for the spliced raw JSON until it replaces it (the value is spliced where this string sits). */
const PLACEHOLDER = '~splice~';
const SPLICE = JSON.stringify(PLACEHOLDER);

function rawText(raw: RawJson): string {
  if ('literal' in raw) return raw.literal;
  const close = raw.nest === '[' ? ']' : '}';
  return raw.nest.repeat(raw.depth) + '1' + close.repeat(raw.depth);
}

export function renderBody(b: BodySpec): Buffer {
  switch (b.kind) {
    case 'empty':
      return Buffer.alloc(0);
    case 'json':
      return Buffer.from(JSON.stringify(b.value) ?? 'null', 'utf8');
    case 'splice':
      return Buffer.from(JSON.stringify({ ...b.value, [b.field]: PLACEHOLDER }).replace(SPLICE, rawText(b.raw)), 'utf8');
    case 'text':
      return Buffer.from(b.text, 'utf8');
    case 'bytes':
      return Buffer.from(b.hex, 'hex');
    case 'truncated': {
      const full = renderBody(b.of);
      return full.subarray(0, Math.floor(full.length * b.fraction));
    }
  }
}

function authHeaders(style: AuthStyle, k: Keys): Array<[string, string]> {
  switch (style) {
    case 'key':
      return [['authorization', `Bearer ${k.key}`]];
    case 'master':
      return [['authorization', `Bearer ${k.masterKey}`]];
    case 'none':
      return [];
    case 'x-api-key':
      return [['x-api-key', k.key]];
    case 'both-different':
      return [['authorization', `Bearer ${k.key}`], ['x-api-key', k.masterKey]];
    case 'lowercase-bearer':
      return [['authorization', `bearer ${k.key}`]];
    case 'basic':
      return [['authorization', `Basic ${Buffer.from(k.key + ':').toString('base64')}`]];
    case 'empty-bearer':
      return [['authorization', 'Bearer ']];
    case 'garbage':
      return [['authorization', 'Bearer sk-sky-000000000000_notakeyatall']];
    case 'key-truncated':
      return [['authorization', `Bearer ${k.key.slice(0, -3)}`]];
    case 'key-suffixed':
      return [['authorization', `Bearer ${k.key}x`]];
  }
}

function chunked(body: Buffer, pieces: number): Buffer {
  const parts: Buffer[] = [];
  const size = Math.max(1, Math.ceil(body.length / pieces));
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(piece.length.toString(16) + '\r\n', 'latin1'), piece, Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** Header lines and body bytes for the case's framing. */
function frame(c: FuzzCase, body: Buffer): { lines: Array<[string, string]>; payload: Buffer } {
  const n = body.length;
  switch (c.framing) {
    case 'content-length':
      return { lines: [['content-length', String(n)]], payload: body };
    case 'chunked':
      return { lines: [['transfer-encoding', 'chunked']], payload: chunked(body, c.pieces) };
    case 'none':
      return { lines: [], payload: body };
    case 'duplicate-content-length':
      return { lines: [['content-length', String(n)], ['content-length', String(n)]], payload: body };
    case 'conflicting-content-length':
      return { lines: [['content-length', String(n)], ['content-length', String(n + 1)]], payload: body };
    case 'chunked-and-content-length':
      return { lines: [['content-length', String(n)], ['transfer-encoding', 'chunked']], payload: chunked(body, c.pieces) };
    case 'odd-transfer-encoding':
      // Not a coding HTTP knows: a server must refuse it, not take it for chunked because the name contains it.
      return { lines: [['transfer-encoding', 'xchunked']], payload: chunked(body, c.pieces) };
    case 'content-length-shorter-than-body':
      return { lines: [['content-length', String(Math.floor(n / 2))]], payload: body };
  }
}

function headerLines(c: FuzzCase, keys: Keys, framing: Array<[string, string]>): Array<[string, string]> {
  return [
    ['host', '127.0.0.1'],
    ...authHeaders(c.auth, keys),
    ...(c.contentType === null ? [] : [['content-type', c.contentType] as [string, string]]),
    ...framing,
    ...c.headers,
  ];
}

export function renderRequest(c: FuzzCase, keys: Keys): WireRequest {
  const { lines, payload } = frame(c, renderBody(c.body));
  const head = Buffer.concat([
    Buffer.from(`${c.method} `, 'latin1'),
    Buffer.from(c.target, 'utf8'),
    Buffer.from(' HTTP/1.1\r\n' + headerLines(c, keys, lines).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n', 'latin1'),
  ]);
  const pieces: Buffer[] = [head];
  const size = Math.ceil(payload.length / Math.max(1, c.pieces - 1));
  if (c.pieces === 1) pieces[0] = Buffer.concat([head, payload]);
  else for (let at = 0; at < payload.length; at += size) pieces.push(payload.subarray(at, at + size));
  const total = head.length + payload.length;
  const a = c.abort;
  const abort: AbortPlan = a.at === 'request-fraction' ? { at: 'request-byte', byte: Math.floor(total * a.fraction) } : a;
  return { pieces, headRequest: c.method === 'HEAD', abort };
}

/** Collapse long repetitions (`⟨"[" × 200000⟩`) and cut what is still long, so a reproducer stays readable. */
export function abbreviate(s: string, max = 600): string {
  const collapsed = s.replace(/([\s\S]{1,8}?)\1{15,}/g, (m, unit: string) => `⟨${JSON.stringify(unit)} × ${m.length / unit.length}⟩`);
  return collapsed.length > max ? `${collapsed.slice(0, max)}… (${collapsed.length} chars)` : collapsed;
}

function describeBody(b: BodySpec): string {
  switch (b.kind) {
    case 'empty':
      return '(empty)';
    case 'json':
      return abbreviate(JSON.stringify(b.value) ?? 'undefined');
    case 'splice':
      return abbreviate(JSON.stringify({ ...b.value, [b.field]: PLACEHOLDER }).replace(SPLICE, 'literal' in b.raw ? b.raw.literal : `⟨${JSON.stringify(b.raw.nest)} × ${b.raw.depth}, 1, closed⟩`));
    case 'text':
      return `text ${abbreviate(JSON.stringify(b.text))}`;
    case 'bytes':
      return `bytes (hex) ${b.hex}`;
    case 'truncated':
      return `the first ${(b.fraction * 100).toFixed(1)}% (${renderBody(b).length} bytes) of: ${describeBody(b.of)}`;
  }
}

/** The case as a reader can replay it: request line, headers (keys named), framing, body, abort. */
export function describeCase(c: FuzzCase): string {
  const names: Keys = { key: '<virtual key with limits>', masterKey: '<master key>' };
  const { lines } = frame(c, renderBody(c.body));
  const all = headerLines(c, names, lines);
  const shown = all.length > 24 ? [...all.slice(0, 20), ['…', `${all.length - 24} more`] as [string, string], ...all.slice(-4)] : all;
  const head = shown.map(([k, v]) => `  ${abbreviate(JSON.stringify(k), 80)}: ${abbreviate(JSON.stringify(v), 200)}`);
  return [
    `  ${JSON.stringify(c.method)} ${abbreviate(JSON.stringify(c.target), 300)} HTTP/1.1`,
    ...head,
    `  body (${c.framing}, ${renderBody(c.body).length} bytes, written in ${c.pieces} piece(s)): ${describeBody(c.body)}`,
    `  client: ${c.abort.at !== 'never' ? `cuts the connection ${JSON.stringify(c.abort)}` : expectsAnswer(c) ? 'reads the whole answer' : `reads for up to ${UNOWED_ANSWER_WAIT_MS} ms (invalid HTTP or odd headers: no answer owed), then closes`}`,
  ].join('\n');
}
