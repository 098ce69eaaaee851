/**
 * The mock upstream: an OpenAI-compatible server on uWebSockets.js, fast enough that the benchmark measures
 * the gateway and not the mock. Deterministic answers (see text.ts), fault injection per request (body field
 * `mock`) or per server (setFaults(), POST /__mock/faults), and counters a test can read (stats(),
 * GET /__mock/stats) — including responses whose client went away mid-way ("aborted").
 *
 * @example
 *   const mock = await startMockUpstream({ port: 0 });
 *   await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"mock-1","messages":[...]}' });
 *   mock.stats().requests['/v1/chat/completions']; // 1
 *   await mock.close();
 */
import uWS from 'uWebSockets.js';
import { chatChunks, chatJson, planChat } from './chat.js';
import { completionChunks, completionJson, planCompletion } from './completions.js';
import { embeddingsJson, modelsJson } from './embeddings.js';
import { planResponses, responsesEvents, responsesJson } from './responses.js';
import { imagesJson, moderationsJson } from './media.js';
import { imageEditAnswer, parseMultipart, speechAnswer, transcriptionAnswer, type MockAnswer, type Multipart } from './audio.js';
import { injectedError, MockHttpError, statusLine } from './errors.js';
import { type Exchange, type Outcome, newExchange, readBody, sendBody, sendJson, streamEvents } from './exchange.js';
import type { Faults, MockStats } from './types.js';
import { asMockError, parseBody, requestFaults, type Json } from './validate.js';

export type { Faults, MockStats } from './types.js';

export interface MockUpstreamOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Delay before every response starts, in ms (default 0: answer at once). */
  latencyMs?: number;
}

export interface MockUpstream {
  port: number;
  /** `http://host:port` (no `/v1`). */
  url: string;
  stats(): MockStats;
  /** Clears the counters, the last request and the server-wide faults. */
  reset(): void;
  /** Replaces the server-wide faults (`{}` clears them). */
  setFaults(f: Faults): void;
  /** Stops listening and cuts every response still in flight. */
  close(): Promise<void>;
}

type Handler = (x: Exchange, body: Json | undefined, faults: Faults) => void;

const API_ROUTES: { method: 'get' | 'post'; path: string; handler: Handler; multipart?: boolean }[] = [
  { method: 'post', path: '/v1/chat/completions', handler: chat },
  { method: 'post', path: '/v1/completions', handler: completions },
  { method: 'post', path: '/v1/responses', handler: (x, body, faults) => { const p = planResponses(body!, faults.chunks); if (body!.stream === true) streamEvents(x, responsesEvents(p), faults); else sendJson(x, 200, responsesJson(p)); } },
  { method: 'post', path: '/v1/images/generations', handler: (x, body) => sendJson(x, 200, imagesJson(body!)) },
  { method: 'post', path: '/v1/moderations', handler: (x, body) => sendJson(x, 200, moderationsJson(body!)) },
  { method: 'post', path: '/v1/embeddings', handler: (x, body) => sendJson(x, 200, embeddingsJson(body!)) },
  { method: 'get', path: '/v1/models', handler: (x) => sendJson(x, 200, modelsJson()) },
  { method: 'post', path: '/v1/audio/speech', handler: (x, body) => answer(x, speechAnswer(body!)) },
  { method: 'post', path: '/v1/audio/transcriptions', multipart: true, handler: (x, body) => answer(x, transcriptionAnswer(multipartOf(body), 'transcribe')) },
  { method: 'post', path: '/v1/audio/translations', multipart: true, handler: (x, body) => answer(x, transcriptionAnswer(multipartOf(body), 'translate')) },
  { method: 'post', path: '/v1/images/edits', multipart: true, handler: (x, body) => answer(x, imageEditAnswer(multipartOf(body))) },
];

function answer(x: Exchange, a: MockAnswer): void {
  sendBody(x, 200, a.contentType, a.body);
}

/** A multipart body as handlers get it: its fields, and its files under `_files` (kept whole for the answer). */
function multipartOf(body: Json | undefined): Multipart {
  return (body as unknown as { _multipart: Multipart })._multipart;
}

/** What stats.lastRequest shows of a multipart body: the fields, and each file's name, type and size. */
function multipartJson(m: Multipart): Json {
  const files = m.files.map((f) => ({ field: f.field, filename: f.filename, contentType: f.contentType, size: f.bytes.length }));
  const out: Json = { ...m.fields, files };
  Object.defineProperty(out, '_multipart', { value: m, enumerable: false });
  return out;
}

function chat(x: Exchange, body: Json | undefined, faults: Faults): void {
  const plan = planChat(body!, faults.chunks);
  if (faults.no_usage) plan.includeUsage = false;
  if (body!.stream === true) streamEvents(x, chatChunks(plan), faults);
  else sendJson(x, 200, chatJson(plan));
}

function completions(x: Exchange, body: Json | undefined, faults: Faults): void {
  const plan = planCompletion(body!, faults.chunks);
  if (faults.no_usage) plan.includeUsage = false;
  if (body!.stream === true) streamEvents(x, completionChunks(plan), faults);
  else sendJson(x, 200, completionJson(plan));
}

function emptyStats(): MockStats {
  return { requests: {}, total: 0, inFlight: 0, completed: 0, aborted: 0, faulted: 0, lastRequest: null };
}

export async function startMockUpstream(opts: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const host = opts.host ?? '127.0.0.1';
  const latencyMs = opts.latencyMs ?? 0;
  let stats = emptyStats();
  let serverFaults: Faults = {};
  let failAccumulator = 0;
  const live = new Set<Exchange>();
  const app = uWS.App();

  /** Server-wide faults merged under the request's own; fail_rate decides whether this one gets `status`. */
  const faultsFor = (body: Json | undefined): Faults => {
    const merged: Faults = { ...serverFaults, ...(body ? requestFaults(body) : undefined) };
    if (serverFaults.fail_rate && serverFaults.fail_rate > 0) {
      failAccumulator += serverFaults.fail_rate;
      if (failAccumulator >= 1) {
        failAccumulator -= 1;
        merged.status ??= 500;
      } else if (!body || !requestFaults(body)?.status) {
        delete merged.status;
      }
    }
    return merged;
  };

  const respond = (x: Exchange, handler: Handler, raw: Buffer | undefined, parsed?: Json) => {
    let body: Json | undefined;
    let faults: Faults;
    try {
      if (parsed !== undefined) {
        body = parsed;
        stats.lastRequest = { method: x.method, path: x.path, headers: x.headers, body: parsed };
      } else if (raw !== undefined) {
        try {
          body = parseBody(raw);
        } finally {
          stats.lastRequest = { method: x.method, path: x.path, headers: x.headers, body: body ?? raw.toString('utf8') };
        }
      } else {
        stats.lastRequest = { method: x.method, path: x.path, headers: x.headers, body: null };
      }
      faults = faultsFor(body);
    } catch (err) {
      answerError(x, err);
      return;
    }
    if (faults.hang) return; // stays in flight until the client leaves or close()
    const run = () => {
      x.timer = undefined;
      if (x.ended) return;
      if (faults.status && faults.status >= 400) {
        stats.faulted++;
        answerError(x, injectedError(faults.status));
        return;
      }
      try {
        handler(x, body, faults);
      } catch (err) {
        answerError(x, err);
      }
    };
    const delay = latencyMs + (faults.delay_ms ?? 0);
    if (delay > 0) x.timer = setTimeout(run, delay);
    else run();
  };

  const hooks = {
    onEnd(x: Exchange, outcome: Outcome) {
      if (!live.delete(x)) return;
      stats.inFlight--;
      if (outcome === 'cut') stats.faulted++;
      else stats[outcome]++;
    },
  };

  for (const route of API_ROUTES) {
    app[route.method](route.path, (res, req) => {
      const x = newExchange(res, req, hooks);
      live.add(x);
      stats.total++;
      stats.requests[x.path] = (stats.requests[x.path] ?? 0) + 1;
      stats.inFlight++;
      if (route.method === 'get') respond(x, route.handler, undefined);
      else if (route.multipart) {
        readBody(x, (raw) =>
          parseMultipart(raw, x.headers['content-type']).then(
            (m) => respond(x, route.handler, undefined, multipartJson(m)),
            (err) => answerError(x, err),
          ),
        );
      } else readBody(x, (raw) => respond(x, route.handler, raw));
    });
    app.any(route.path, (res) => {
      res.onAborted(() => undefined);
      const err = new MockHttpError(405, `Method not allowed for ${route.path}`);
      res.cork(() => res.writeStatus(statusLine(405)).writeHeader('content-type', 'application/json').end(err.body()));
    });
  }

  const control = (res: uWS.HttpResponse, status: number, payload: unknown) => {
    res.cork(() => res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json').end(JSON.stringify(payload)));
  };
  app.get('/__mock/stats', (res) => control(res, 200, stats));
  app.get('/__mock/faults', (res) => control(res, 200, serverFaults));
  app.post('/__mock/reset', (res) => {
    res.onAborted(() => undefined);
    handle.reset();
    control(res, 200, { ok: true });
  });
  app.post('/__mock/faults', (res, req) => {
    const x = newExchange(res, req, { onEnd: () => undefined });
    readBody(x, (raw) => {
      try {
        handle.setFaults(raw.length === 0 ? {} : (parseBody(raw) as Faults));
        sendJson(x, 200, JSON.stringify(serverFaults));
      } catch (err) {
        answerError(x, err);
      }
    });
  });
  app.any('/*', (res, req) => {
    res.onAborted(() => undefined);
    const err = new MockHttpError(404, `Unknown request URL: ${req.getMethod().toUpperCase()} ${req.getUrl()}`, null, 'unknown_url');
    res.cork(() => res.writeStatus(statusLine(404)).writeHeader('content-type', 'application/json').end(err.body()));
  });

  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(host, opts.port ?? 0, (socket) => {
      if (socket) resolve(socket);
      else reject(new Error(`mock upstream: could not listen on ${host}:${opts.port ?? 0}`));
    });
  });
  const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);

  const handle: MockUpstream = {
    port,
    url: `http://${host}:${port}`,
    stats: () => structuredClone(stats),
    reset() {
      const inFlight = stats.inFlight;
      stats = emptyStats();
      stats.inFlight = inFlight;
      serverFaults = {};
      failAccumulator = 0;
    },
    setFaults(f: Faults) {
      serverFaults = { ...f };
      failAccumulator = 0;
    },
    async close() {
      uWS.us_listen_socket_close(listenSocket);
      for (const x of [...live]) x.cut();
    },
  };
  return handle;
}

function answerError(x: Exchange, err: unknown): void {
  const e = asMockError(err);
  sendJson(x, e.status, e.body(), e.headers());
}
