/**
 * fast-check arbitraries for hostile requests: what a client can put on the wire, not what an SDK would send.
 * A case is kept symbolic (a body is "this object with field X nested 200,000 deep", not 400 KB of brackets)
 * so that a failing case prints as a readable reproducer; request.ts turns it into bytes.
 */
import fc from 'fast-check';

/** How the body is delimited on the wire. Everything but the first two is ambiguous or invalid HTTP/1.1. */
export type Framing =
  | 'content-length'
  | 'chunked'
  | 'none'
  | 'duplicate-content-length'
  | 'conflicting-content-length'
  | 'chunked-and-content-length'
  | 'odd-transfer-encoding'
  | 'content-length-shorter-than-body';

export const WELL_FRAMED: ReadonlySet<Framing> = new Set(['content-length', 'chunked']);

export type BodySpec =
  | { kind: 'empty' }
  /** JSON.stringify of the value (lone surrogates become \udxxx escapes, as a JS client sends them). */
  | { kind: 'json'; value: unknown }
  /** `value` with `field` replaced by raw JSON text: deep nesting, numbers JSON.stringify cannot write. */
  | { kind: 'splice'; value: Record<string, unknown>; field: string; raw: RawJson }
  /** Text as UTF-8 (lone surrogates become U+FFFD). */
  | { kind: 'text'; text: string }
  /** Bytes given in hex: invalid UTF-8, NULs, a UTF-8-encoded surrogate (ed a0 80). */
  | { kind: 'bytes'; hex: string }
  /** The first `fraction` of another body. */
  | { kind: 'truncated'; of: BodySpec; fraction: number };

export type RawJson = { nest: '[' | '{"a":'; depth: number } | { literal: string };

/** How the client authenticates; the harness substitutes the real keys. */
export type AuthStyle = 'key' | 'master' | 'none' | 'x-api-key' | 'both-different' | 'lowercase-bearer' | 'basic' | 'empty-bearer' | 'garbage' | 'key-truncated' | 'key-suffixed';

export type AbortSpec =
  | { at: 'never' }
  | { at: 'request-fraction'; fraction: number }
  | { at: 'after-send'; ms: number }
  | { at: 'response-byte'; byte: number };

export interface FuzzCase {
  method: string;
  target: string;
  auth: AuthStyle;
  /** Sent after `host` and the auth headers; names and values may hold any byte (latin1 strings). */
  headers: Array<[string, string]>;
  contentType: string | null;
  body: BodySpec;
  framing: Framing;
  /** The request is written in this many pieces (the server's body reader sees several chunks). */
  pieces: number;
  abort: AbortSpec;
}

// ── Bodies ──────────────────────────────────────────────────────────────────────────────────────────────

type Endpoint = 'chat' | 'completions' | 'embeddings' | 'messages' | 'responses';

const BASE: Record<Endpoint, Record<string, unknown>> = {
  chat: { model: 'mock-1', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 4 },
  completions: { model: 'mock-1', prompt: 'hello there', max_tokens: 4 },
  embeddings: { model: 'mock-embed', input: 'hello there' },
  messages: { model: 'mock-1', max_tokens: 4, messages: [{ role: 'user', content: 'hello there' }] },
  responses: { model: 'mock-1', input: 'hello there', max_output_tokens: 16 },
};

/** Fields worth breaking, per endpoint (paths into the body; numbers index arrays). */
const FIELDS: Record<Endpoint, Array<Array<string | number>>> = {
  chat: [['model'], ['messages'], ['messages', 0], ['messages', 0, 'role'], ['messages', 0, 'content'], ['messages', 0, 'content', 0], ['messages', 0, 'content', 0, 'type'], ['messages', 0, 'name'], ['messages', 0, 'tool_calls'], ['messages', 1], ['max_tokens'], ['max_completion_tokens'], ['n'], ['temperature'], ['top_p'], ['stream'], ['stream_options'], ['stream_options', 'include_usage'], ['stop'], ['tools'], ['tools', 0, 'function', 'name'], ['tool_choice'], ['response_format'], ['logit_bias'], ['seed'], ['user'], ['metadata']],
  completions: [['model'], ['prompt'], ['prompt', 0], ['max_tokens'], ['n'], ['stream'], ['stream_options'], ['echo'], ['stop'], ['suffix'], ['logprobs'], ['best_of']],
  embeddings: [['model'], ['input'], ['input', 0], ['dimensions'], ['encoding_format'], ['user']],
  messages: [['model'], ['max_tokens'], ['messages'], ['messages', 0, 'role'], ['messages', 0, 'content'], ['messages', 0, 'content', 0, 'type'], ['system'], ['stream'], ['temperature'], ['top_k'], ['stop_sequences'], ['tools'], ['tool_choice'], ['metadata'], ['thinking']],
  responses: [['model'], ['input'], ['input', 0], ['input', 0, 'role'], ['input', 0, 'content'], ['input', 0, 'content', 0, 'type'], ['input', 0, 'type'], ['input', 0, 'call_id'], ['input', 0, 'output'], ['instructions'], ['tools'], ['tools', 0, 'name'], ['tool_choice'], ['text'], ['text', 'format'], ['text', 'format', 'type'], ['max_output_tokens'], ['temperature'], ['stream'], ['previous_response_id'], ['store'], ['metadata'], ['reasoning']],
};

const LONE_SURROGATES = ['\ud800', 'a\udfffb', '\udc00\ud800', 'x\ud83d'];

const leafValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, -0, 1e308, -1e308, 2 ** 31, 2 ** 53 + 2, '', 'mock-1', 'user', 'assistant', 'system', 'tool', 'developer', 'text', 'image_url', 'function', 'auto', 'json_schema'),
  fc.constantFrom(...LONE_SURROGATES),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(1_000, 100_000).map((n) => 'word '.repeat(n)),
);

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: leafValue },
  { weight: 1, arbitrary: fc.array(leafValue, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('role', 'content', 'type', 'text', 'name', 'function', 'x'), leafValue, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.record({ role: leafValue, content: leafValue }) },
);

const rawJson: fc.Arbitrary<RawJson> = fc.oneof(
  fc.record({ nest: fc.constantFrom('[' as const, '{"a":' as const), depth: fc.constantFrom(63, 64, 65, 1_000, 10_000, 200_000) }),
  fc.record({ literal: fc.constantFrom('1e999', '-1e999', '123456789012345678901234567890', '-0', '1E-400', '9007199254740993', '0.1e1000000') }),
);

/**
 * The mock upstream's per-request faults (loadtest/mock/types.ts), bounded so no case waits long. An error
 * status is rare: the gateway retries 429/5xx with backoff (~0.2–0.8 s a case), which would eat the budget.
 */
const mockFaults = fc.record(
  {
    status: fc.option(fc.constantFrom(400, 401, 404, 429, 500, 502, 503, 529), { freq: 6, nil: undefined }),
    chunks: fc.integer({ min: 0, max: 30 }),
    chunk_delay_ms: fc.integer({ min: 0, max: 2 }),
    error_after_chunks: fc.integer({ min: 0, max: 4 }),
    no_usage: fc.boolean(),
    delay_ms: fc.integer({ min: 0, max: 10 }),
  },
  { requiredKeys: [] },
).map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)));

function withField(base: Record<string, unknown>, path: Array<string | number>, value: unknown): Record<string, unknown> {
  const root = structuredClone(base);
  let at: Record<string | number, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const next = at[path[i]!];
    const made = next !== null && typeof next === 'object' ? next : typeof path[i + 1] === 'number' ? [] : {};
    at[path[i]!] = made;
    at = made as Record<string | number, unknown>;
  }
  at[path[path.length - 1]!] = value;
  return root;
}

/** A valid body for the endpoint, then optional stream flags, faults and one broken field. */
function endpointBody(ep: Endpoint): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      stream: fc.constantFrom(undefined, true, false),
      includeUsage: fc.constantFrom(undefined, true, false),
      mock: fc.option(mockFaults, { freq: 4, nil: undefined }),
      broken: fc.option(fc.tuple(fc.constantFrom(...FIELDS[ep]), weirdValue), { freq: 2, nil: undefined }),
    })
    .map(({ stream, includeUsage, mock, broken }) => {
      let body: Record<string, unknown> = { ...BASE[ep] };
      if (stream !== undefined) body.stream = stream;
      if (includeUsage !== undefined && (ep === 'chat' || ep === 'completions')) body.stream_options = { include_usage: includeUsage };
      if (mock) body.mock = mock;
      if (broken) body = withField(body, broken[0], broken[1]);
      return body;
    });
}

/** Bodies for an endpoint: mostly its own JSON with one thing wrong, sometimes not JSON at all. */
function bodySpec(ep: Endpoint): fc.Arbitrary<BodySpec> {
  const own = endpointBody(ep);
  return fc.oneof(
    { weight: 8, arbitrary: own.map((value): BodySpec => ({ kind: 'json', value })) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(own, fc.constantFrom('messages', 'model', 'max_tokens', 'stream', 'x_extra', 'input', 'prompt', 'n', 'tools'), rawJson)
        .map(([value, field, raw]): BodySpec => ({ kind: 'splice', value, field, raw })),
    },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: 'empty' }) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('null', '[]', '"x"', '1', 'true', '{}', '{"model":null}', ...LONE_SURROGATES)).map((text): BodySpec => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: fc.constantFrom('7b226d6f64656c223a22eda080227d', 'fffe7b7d', '7b007d', 'c0af', '7b226d6f64656c223a2280227d').map((hex): BodySpec => ({ kind: 'bytes', hex })) },
    { weight: 2, arbitrary: fc.tuple(own, fc.double({ min: 0, max: 0.999, noNaN: true })).map(([value, fraction]): BodySpec => ({ kind: 'truncated', of: { kind: 'json', value }, fraction })) },
  );
}

// ── Request line ────────────────────────────────────────────────────────────────────────────────────────

const PATHS: Record<Endpoint, string[]> = {
  chat: ['/v1/chat/completions', '/chat/completions'],
  completions: ['/v1/completions', '/completions'],
  embeddings: ['/v1/embeddings', '/embeddings'],
  messages: ['/v1/messages', '/messages'],
  responses: ['/v1/responses', '/responses'],
};
const GET_PATHS = ['/v1/models', '/models', '/health', '/health/liveliness', '/health/liveness', '/health/readiness', '/v1/responses/resp_missing', '/v1/responses/%ZZ/input_items'];
/** The media routes (multipart uploads and speech): their error paths, with bodies of the other endpoints. */
const MEDIA_PATHS = ['/v1/audio/transcriptions', '/audio/translations', '/v1/images/edits', '/v1/audio/speech'];
const ROUTES = [...Object.values(PATHS).flat(), ...MEDIA_PATHS, ...GET_PATHS, '/metrics', '/admin/keys', '/'];
const MODEL_IDS = ['mock-1', 'mock-embed', 'gpt-4o', '%ZZ', '%', '%E0%A4%A', '%C0%AF', '%2F..%2F', '%00', 'mock%2D1', 'é', '\u{1F600}', '..', '.', '%F0%9F%98', 'a'.repeat(5000)];

type PathEdit = (p: string) => string;
const pathEdits: fc.Arbitrary<PathEdit> = fc.constantFrom<PathEdit>(
  (p) => '/' + p,
  (p) => p.replace('/', '//'),
  (p) => p + '/',
  (p) => p.replace(/\/([^/]*)$/, '/./$1'),
  (p) => p.replace(/\/([^/]*)$/, '/x/../$1'),
  (p) => '/..' + p,
  (p) => p.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
  (p) => p + '%ZZ',
  (p) => p + '%',
  (p) => p.toUpperCase(),
  (p) => p + '?model=%ZZ&x=%',
  (p) => p + '?' + 'q'.repeat(10_000),
  (p) => p + '#frag',
  (p) => p + '/é\u{1F600}',
  (p) => p + '/' + 'seg/'.repeat(3_000),
  (p) => `http://127.0.0.1${p}`,
  (p) => p.replace('/', '\\'),
  (p) => p + ' x',
  (p) => p + '\t',
);

/** Any path: known routes bent out of shape, model ids that do not decode, no path at all. */
const target: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), pathEdits).map(([r, edit]) => edit(r)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/v1/models/', '/models/'), fc.constantFrom(...MODEL_IDS), pathEdits).map(([p, id, edit]) => edit(p + id)) },
  { weight: 1, arbitrary: fc.constantFrom('*', '', '/%', '/%ZZ', '/v1/models/%ZZ', '/\u0000', 'v1/models') },
);

const anyMethod = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'post', 'PRI', 'M-SEARCH', 'GET POST', '');

// ── Headers ─────────────────────────────────────────────────────────────────────────────────────────────

const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });

const headerValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }) },
  { weight: 2, arbitrary: latin1 },
  { weight: 1, arbitrary: fc.constantFrom(4_096, 16_384, 65_536, 300_000).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('a\0b', 'a\x7fb', '\xff\xfe', 'a\rb', 'a\nx-injected: 1', 'x\r\n y', ' ', 'é') },
);

const header: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constantFrom('content-length', 'transfer-encoding'), fc.constantFrom('0', '-1', '1e3', ' 5', '99999999999999999999', 'chunked', 'gzip, chunked', '')),
  fc.tuple(fc.constantFrom('authorization', 'x-api-key', 'cache-control', 'x-skyway-origin-verify', 'host', 'content-type', 'accept', 'user-agent'), headerValue),
  fc.tuple(fc.constant('expect'), fc.constantFrom('100-continue', 'bogus')),
  fc.tuple(fc.constant('connection'), fc.constantFrom('close', 'keep-alive', 'upgrade', 'Upgrade, HTTP2-Settings')),
  fc.tuple(fc.constant('upgrade'), fc.constantFrom('websocket', 'h2c')),
  fc.tuple(fc.constant('content-encoding'), fc.constantFrom('gzip', 'br', 'identity')),
  fc.tuple(fc.constantFrom('x-custom', 'X-Mixed-Case', 'bad name', 'x:y', 'é', '', 'a'.repeat(10_000)), headerValue),
);

const headers: fc.Arbitrary<Array<[string, string]>> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Array<[string, string]>>([]) },
  { weight: 4, arbitrary: fc.array(header, { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(100, 1_000).map((n) => Array.from({ length: n }, (_, i): [string, string] => [`x-pad-${i}`, 'p'])) },
);

const contentType = fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', '', null);

const auth = fc.oneof(
  { weight: 10, arbitrary: fc.constant<AuthStyle>('key') },
  { weight: 5, arbitrary: fc.constantFrom<AuthStyle>('master', 'none', 'x-api-key', 'both-different', 'lowercase-bearer', 'basic', 'empty-bearer', 'garbage', 'key-truncated', 'key-suffixed') },
);

const framing = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Framing>('content-length') },
  { weight: 4, arbitrary: fc.constant<Framing>('chunked') },
  { weight: 4, arbitrary: fc.constantFrom<Framing>('none', 'duplicate-content-length', 'conflicting-content-length', 'chunked-and-content-length', 'odd-transfer-encoding', 'content-length-shorter-than-body') },
);

const abort: fc.Arbitrary<AbortSpec> = fc.oneof(
  { weight: 14, arbitrary: fc.constant<AbortSpec>({ at: 'never' }) },
  { weight: 2, arbitrary: fc.double({ min: 0, max: 0.999, noNaN: true }).map((fraction): AbortSpec => ({ at: 'request-fraction', fraction })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 }).map((ms): AbortSpec => ({ at: 'after-send', ms })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 3_000 }).map((byte): AbortSpec => ({ at: 'response-byte', byte })) },
);

const common = { auth, headers, contentType, framing, pieces: fc.integer({ min: 1, max: 4 }), abort };

/** A request to a model endpoint: mostly its own path and method, so most cases get past routing. */
const apiCase: fc.Arbitrary<FuzzCase> = fc.constantFrom<Endpoint>('chat', 'completions', 'embeddings', 'messages', 'responses').chain((ep) =>
  fc.record({
    ...common,
    method: fc.oneof({ weight: 10, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: anyMethod }),
    target: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...PATHS[ep]) }, { weight: 3, arbitrary: target }),
    body: bodySpec(ep),
  }),
);

/** A request to the GET routes (models, model by id, health), usually without a body. */
const getCase: fc.Arbitrary<FuzzCase> = fc.record({
  ...common,
  method: fc.oneof({ weight: 6, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: anyMethod }),
  target: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...GET_PATHS) }, { weight: 3, arbitrary: target }),
  body: fc.oneof({ weight: 6, arbitrary: fc.constant<BodySpec>({ kind: 'empty' }) }, { weight: 1, arbitrary: bodySpec('chat') }),
});

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof({ weight: 4, arbitrary: apiCase }, { weight: 1, arbitrary: getCase });

/** Requests sent at the same time (on separate connections): aborts then race admissions of others. */
export const fuzzBurst: fc.Arbitrary<FuzzCase[]> = fc.array(fuzzCase, { minLength: 1, maxLength: 3 });
