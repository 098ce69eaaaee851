/**
 * What every answer of the gateway must look like, whatever was sent: a well-formed HTTP/1.1 response that is
 * either a success of the endpoint the path names, or an error in the OpenAI shape
 * `{"error":{"message","type","code","param"}}` (Anthropic's `{"type":"error","error":{...}}` also on
 * /v1/messages) with a 4xx status, or 502/503/504. Any other 5xx is a gateway bug. A violation is named by a
 * stable class, so a run's findings can be grouped and compared across fixes.
 */
import { WELL_FRAMED, type FuzzCase } from './generators.js';
import { header, type Exchange, type ParsedResponse } from './raw-client.js';

export interface Violation {
  /** Stable name of the class of defect (see README "Fuzzing"). */
  kind: string;
  detail: string;
  /** What tells causes of one kind apart (the error and frame a process died of), for grouping in a catalog. */
  cause?: string;
}

type Json = Record<string, unknown>;
type Route = 'chat' | 'completions' | 'embeddings' | 'messages' | 'responses' | 'models' | 'model' | 'health' | 'readiness';

const ROUTES: Record<string, Route> = {
  '/chat/completions': 'chat',
  '/completions': 'completions',
  '/embeddings': 'embeddings',
  '/messages': 'messages',
  '/responses': 'responses',
  '/models': 'models',
};

/** The endpoint a path names exactly (as the router matches it), if any. */
export function routeOf(method: string, target: string): Route | undefined {
  const path = target.split('?')[0]!;
  const m = method.toUpperCase();
  if (m === 'GET' && (path === '/health' || path === '/health/liveliness' || path === '/health/liveness')) return 'health';
  if (m === 'GET' && path === '/health/readiness') return 'readiness';
  const bare = path.startsWith('/v1/') ? path.slice(3) : path;
  if (m === 'GET' && /^\/models\/[^/]+$/.test(bare)) return 'model';
  const r = ROUTES[bare];
  if (r === 'models') return m === 'GET' ? r : undefined;
  return r && m === 'POST' ? r : undefined;
}

/** Paths the gateway answers in Anthropic's shape (any method, also unknown sub-paths), as its router mounts them. */
export function anthropicPath(target: string): boolean {
  return /^(\/v1)?\/messages(\/|$)/.test(target.split('?')[0]!);
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strOrNull = (v: unknown) => v === null || typeof v === 'string';

export function isOpenAiError(v: unknown): boolean {
  if (!isObj(v) || !isObj(v.error)) return false;
  const e = v.error;
  return typeof e.message === 'string' && e.message.length > 0 && typeof e.type === 'string' && strOrNull(e.code) && strOrNull(e.param);
}

function isAnthropicError(v: unknown): boolean {
  return isObj(v) && v.type === 'error' && isObj(v.error) && typeof v.error.type === 'string' && typeof v.error.message === 'string';
}

/** The success body of each endpoint, checked for the fields a client reads first. */
const SUCCESS: Record<Route, (v: Json) => boolean> = {
  chat: (v) => v.object === 'chat.completion' && Array.isArray(v.choices),
  completions: (v) => v.object === 'text_completion' && Array.isArray(v.choices),
  embeddings: (v) => v.object === 'list' && Array.isArray(v.data),
  messages: (v) => v.type === 'message' && Array.isArray(v.content),
  responses: (v) => v.object === 'response' && Array.isArray(v.output),
  models: (v) => v.object === 'list' && Array.isArray(v.data),
  model: (v) => v.object === 'model' && typeof v.id === 'string',
  health: (v) => v.status === 'ok',
  readiness: (v) => typeof v.status === 'string',
};

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** An SSE body: every event's data is JSON or [DONE]; an error inside the stream has an error shape. */
function checkStream(route: Route | undefined, body: string): Violation | undefined {
  if (route !== 'chat' && route !== 'completions' && route !== 'messages' && route !== 'responses') return { kind: 'bad-success-shape', detail: `event stream on a route that does not stream` };
  for (const event of body.split(/\n\n/)) {
    for (const line of event.split('\n')) {
      if (line === '' || line.startsWith(':') || line.startsWith('event:') || line.startsWith('id:') || line.startsWith('retry:')) continue;
      if (!line.startsWith('data:')) return { kind: 'bad-stream', detail: `not an SSE line: ${JSON.stringify(line.slice(0, 120))}` };
      const data = line.slice(5).trim();
      if (data === '[DONE]') continue;
      const v = parseJson(Buffer.from(data));
      if (!isObj(v)) return { kind: 'bad-stream', detail: `event data is not a JSON object: ${JSON.stringify(data.slice(0, 120))}` };
      if ('error' in v && !isOpenAiError(v) && !isAnthropicError(v)) return { kind: 'bad-stream', detail: `error event not in the OpenAI/Anthropic shape: ${data.slice(0, 200)}` };
    }
  }
  return undefined;
}

function checkResponse(c: FuzzCase, r: ParsedResponse, headOnly: boolean): Violation | undefined {
  const route = routeOf(c.method, c.target);
  const head = `${r.status} ${r.reason}`;
  if (r.status >= 500 && ![502, 503, 504].includes(r.status)) {
    return { kind: 'server-error-5xx', detail: `${head}: ${r.body.toString('utf8').slice(0, 300)}` };
  }
  if (r.status < 200 || (r.status >= 300 && r.status < 400) || (r.status >= 200 && r.status < 300 && r.status !== 200)) {
    return { kind: 'unexpected-status', detail: head };
  }
  if (headOnly) return undefined;
  const type = header(r, 'content-type') ?? '';
  if (r.status === 200) {
    if (type.startsWith('text/event-stream')) return checkStream(route, r.body.toString('utf8'));
    const v = parseJson(r.body);
    if (!isObj(v)) return { kind: 'bad-success-shape', detail: `${head} ${type}: ${r.body.toString('utf8').slice(0, 200)}` };
    if (route) return SUCCESS[route](v) ? undefined : { kind: 'bad-success-shape', detail: `${head} for ${route}: ${r.body.toString('utf8').slice(0, 200)}` };
    return Object.values(SUCCESS).some((ok) => ok(v)) ? undefined : { kind: 'bad-success-shape', detail: `${head} on ${c.method} ${c.target.slice(0, 80)}: ${r.body.toString('utf8').slice(0, 200)}` };
  }
  const v = parseJson(r.body);
  if (!type.startsWith('application/json') || !(isOpenAiError(v) || ((route === 'messages' || anthropicPath(c.target)) && isAnthropicError(v)))) {
    return { kind: 'bad-error-shape', detail: `${head} content-type ${JSON.stringify(type)}: ${JSON.stringify(r.body.toString('utf8').slice(0, 300))}` };
  }
  return undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** uWebSockets.js's default limits (UWS_HTTP_MAX_HEADERS_SIZE 4 KB, 50 headers): past them it may drop the connection. */
const MAX_HEAD_BYTES = 4096;
const MAX_HEADERS = 50;

/** How long the client waits for an answer it is not owed (see expectsAnswer) before closing the connection. */
export const UNOWED_ANSWER_WAIT_MS = 50;

/**
 * The case is a complete, valid HTTP/1.1 request within the server's limits, so silence is a defect. For an
 * invalid one (bad request line, header bytes, framing) closing the connection without a word is acceptable.
 */
export function expectsAnswer(c: FuzzCase): boolean {
  if (c.abort.at !== 'never' || !WELL_FRAMED.has(c.framing) || !TOKEN.test(c.method)) return false;
  if (!/^\/[\x21-\x7e]*$/.test(c.target)) return false;
  if (c.headers.length > MAX_HEADERS - 8) return false;
  let size = c.target.length;
  for (const [name, value] of c.headers) {
    if (!TOKEN.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return false;
    if (/^(content-length|transfer-encoding|expect|upgrade|connection|content-encoding)$/i.test(name)) return false;
    size += name.length + value.length + 4;
  }
  return size < MAX_HEAD_BYTES - 512;
}

/** Ambiguous framing the gateway must refuse (400 and close) rather than guess: a request smuggling vector. */
const MUST_REFUSE = new Set(['conflicting-content-length', 'odd-transfer-encoding']);

/** Check what one case got back. `undefined` means the answer (or the lack of one) is acceptable. */
export function checkExchange(c: FuzzCase, x: Exchange): Violation | undefined {
  switch (x.kind) {
    case 'closed':
    case 'aborted':
      return undefined;
    case 'malformed':
      return { kind: 'malformed-http', cause: x.reason.replace(/[0-9]+/g, 'N'), detail: `${x.reason}; got ${JSON.stringify(x.raw.subarray(0, 300).toString('latin1'))}` };
    case 'timeout':
      // Only a complete, well-framed request must be answered; a server may wait for bytes an ambiguous one promised.
      if (!expectsAnswer(c)) return undefined;
      return { kind: 'no-answer', detail: `nothing within the timeout; got ${JSON.stringify(x.partial.subarray(0, 200).toString('latin1'))}` };
    case 'answered': {
      if (MUST_REFUSE.has(c.framing) && x.response.status !== 400) {
        return { kind: 'ambiguous-framing-accepted', cause: c.framing, detail: `${c.framing}: answered ${x.response.status} instead of 400` };
      }
      for (const r of [x.response, ...x.extra]) {
        const v = checkResponse(c, r, c.method === 'HEAD');
        if (v) return v;
      }
      return undefined;
    }
  }
}
