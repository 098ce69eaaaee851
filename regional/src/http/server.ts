/**
 * The API listener on uWebSockets.js: routes, body reading, and the two health endpoints. This module and
 * exchange.ts are the only ones that know the transport.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { bearerToken } from '../auth/master-key.js';
import type { Principal } from '../auth/principal.js';
import { assertModelAllowed } from '../auth/virtual-keys.js';
import { GatewayError, InternalError, InvalidApiKey, MalformedHttpRequest, MethodNotAllowed, ModelNotFound, RouteNotFound, ServiceUnavailable, toGatewayError } from '../errors/catalogue.js';
import type { Operation } from '../providers/adapter.js';
import type { Gateway } from '../pipeline/context.js';
import { anthropicIngress } from '../ingress/anthropic/codec.js';
import { beginCountTokens } from '../ingress/anthropic/count-tokens.js';
import { mountResponsesRoutes, type RouteKit } from '../ingress/responses/routes.js';
import { mountMediaRoutes } from '../ingress/media/index.js';
import { mountAudioRoutes } from '../ingress/audio/routes.js';
import type { Ingress } from '../pipeline/ingress.js';
import { beginModelRequest } from '../pipeline/request.js';
import { Exchange } from './exchange.js';
import { loadNativeUws } from './uws.js';

const MODEL_ROUTES: ReadonlyArray<[string, Operation]> = [
  ['/chat/completions', 'chat'],
  ['/completions', 'completions'],
  ['/embeddings', 'embeddings'],
];

/** Both `/v1/x` and `/x`, as OpenAI-compatible servers commonly accept. */
const withPrefixes = (path: string): string[] => [`/v1${path}`, path];

export interface ApiServer {
  readonly port: number;
  /** Stop accepting connections (in-flight requests continue). */
  stopListening(): void;
}

function newExchange(gw: Gateway, res: HttpResponse, ingress?: Ingress): Exchange {
  const ex = new Exchange(res, randomUUID(), performance.now());
  if (gw.draining) ex.closeConnection = true;
  ex.region = gw.settings.region;
  if (ingress) ex.errorBody = ingress.error;
  return ex;
}

type Handler = (ex: Exchange, req: HttpRequest) => void;

/**
 * Framing the HTTP layer lets through (checked with raw sockets against this uWS build): conflicting
 * duplicate Content-Length headers (it reads the first) and any Transfer-Encoding ending in "chunked"
 * ("xchunked" is decoded as chunked). A proxy in front may frame the same bytes differently (request
 * smuggling), so these are refused with 400 and the connection closed.
 */
function framingProblem(req: HttpRequest): string | undefined {
  framingLength = undefined;
  framingFound = undefined;
  req.forEach(framingVisit);
  return framingFound;
}

// framingProblem's state, module-level so that no closure is made per request (forEach runs synchronously).
let framingLength: string | undefined;
let framingFound: string | undefined;

function framingVisit(name: string, value: string): void {
  if (framingFound) return;
  if (name === 'content-length') {
    const v = value.trim();
    if (!/^[0-9]+$/.test(v)) framingFound = 'Content-Length is not a number';
    else if (framingLength !== undefined && framingLength !== v) framingFound = 'conflicting Content-Length headers';
    framingLength = v;
  } else if (name === 'transfer-encoding') {
    if (value.trim().toLowerCase() !== 'chunked') framingFound = `unsupported Transfer-Encoding '${value.slice(0, 40)}'`;
    else if (framingLength !== undefined) framingFound = 'both Content-Length and Transfer-Encoding';
  }
}

/**
 * Every route goes through here: one Exchange per request, framing checked, and the handler inside a boundary
 * (an unexpected throw is logged, counted, and answered 500 internal_error to this request only).
 */
function route(gw: Gateway, handler: Handler, ingress?: Ingress) {
  return (res: HttpResponse, req: HttpRequest): void => {
    let ex: Exchange | undefined;
    try {
      ex = newExchange(gw, res, ingress);
      ex.headOnly = req.getMethod() === 'head';
      const bad = framingProblem(req);
      if (bad) return ex.sendError(new MalformedHttpRequest(bad), true);
      handler(ex, req);
    } catch (err) {
      gw.boundary.internal(err, ex?.requestId);
      try {
        if (ex) ex.sendError(new InternalError(), true);
        else res.cork(() => res.writeStatus('500 Internal Server Error').end(new InternalError().toJSON(), true));
      } catch (again) {
        gw.boundary.internal(again, ex?.requestId, 'error-response');
      }
    }
  };
}

function tokenOf(req: HttpRequest): string | undefined {
  const h = req.getHeader('authorization');
  if (h) return bearerToken(h) ?? '';
  return req.getHeader('x-api-key') || undefined;
}

/** Rejects requests that did not come through the edge, when an origin-verification secret is configured. */
function originVerified(gw: Gateway, req: HttpRequest): boolean {
  const secret = gw.settings.originVerifySecret;
  if (secret === undefined) return true;
  // Constant time: the comparison must not tell an attacker how much of the secret they guessed.
  const given = Buffer.from(req.getHeader('x-skyway-origin-verify'));
  const want = Buffer.from(secret);
  return given.length === want.length && timingSafeEqual(given, want);
}

function modelHandler(gw: Gateway, op: Operation, ingress?: Ingress, begin: typeof beginModelRequest = beginModelRequest): Handler {
  return (ex, req) => {
    if (!originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const token = tokenOf(req);
    const declared = Number(req.getHeader('content-length') || 0);
    const pending = begin(gw, ex, op, ingress, req.getHeader('cache-control') || undefined);
    ex.readBody(
      gw.settings.maxBodyBytes,
      Number.isFinite(declared) ? declared : 0,
      gw.settings.bodyTimeoutMs,
      (body) => pending.run(token, body),
      (err) => pending.reject(err),
    );
  };
}

/** A path segment with its percent-escapes decoded; a malformed escape cannot name a model, so it stays as sent. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function modelsHandler(gw: Gateway, single: boolean): Handler {
  return (ex, req) => {
    const id = single ? safeDecode(req.getParameter(0) ?? '') : '';
    if (!originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const respond = (p: Principal) => {
      if (!single) return ex.sendJson(200, gw.catalog.listJson(p.allowedModels));
      // As on the model endpoints: 404 for a model that does not exist, 403 for one the key may not use.
      if (!gw.catalog.get(id)) return ex.sendError(new ModelNotFound(id));
      assertModelAllowed(p, id);
      ex.sendJson(200, JSON.stringify(gw.catalog.modelObject(id)));
    };
    const refuse = (err: unknown) => {
      if (!(err instanceof GatewayError)) gw.boundary.internal(err, ex.requestId);
      ex.sendError(toGatewayError(err));
    };
    try {
      const p = gw.auth.authenticate(tokenOf(req));
      if (p instanceof Promise) {
        p.then((pr) => {
          try {
            respond(pr);
          } catch (err) {
            refuse(err);
          }
        }, refuse).catch((err: unknown) => {
          gw.boundary.internal(err, ex.requestId);
          ex.sendError(new InternalError());
        });
      } else respond(p);
    } catch (err) {
      refuse(err);
    }
  };
}

function notAllowed(allowed: string[]): Handler {
  return (ex, req) => ex.sendError(new MethodNotAllowed(req.getMethod().toUpperCase(), req.getUrl(), allowed));
}

const liveliness: Handler = (ex) => ex.sendJson(200, '{"status":"ok"}');

function readiness(gw: Gateway): Handler {
  return (ex) => {
    if (gw.draining) return ex.sendError(new ServiceUnavailable('The gateway is shutting down.', 'draining'));
    const started = performance.now();
    Promise.all(
      gw.checks.map(async (c) => {
        try {
          await Promise.race([c.check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2000 ms')), 2000).unref())]);
          return [c.name, 'ok'] as const;
        } catch (err) {
          return [c.name, `${c.degradable ? 'degraded' : 'failed'}: ${(err as Error).message}`] as const;
        }
      }),
    ).then((results) => {
      const checks = Object.fromEntries([['http', 'ok (native uWebSockets.js)'], ...results]);
      // A degradable dependency (the limit store) has a failure policy: the replica keeps serving under it.
      const ok = results.every(([, r]) => r === 'ok' || r.startsWith('degraded'));
      const degraded = results.some(([, r]) => r.startsWith('degraded'));
      const status = !ok ? 'unavailable' : degraded ? 'degraded' : 'ok';
      ex.sendJson(ok ? 200 : 503, JSON.stringify({ status, checks, ms: Math.round(performance.now() - started) }));
    }).catch((err: unknown) => {
      gw.boundary.internal(err, ex.requestId);
      ex.sendError(new InternalError());
    });
  };
}

function mountRoutes(app: TemplatedApp, gw: Gateway): void {
  const post = (p: string, h: Handler, ingress?: Ingress) => app.post(p, route(gw, h, ingress));
  const get = (p: string, h: Handler) => app.get(p, route(gw, h));
  const any = (p: string, h: Handler, ingress?: Ingress) => app.any(p, route(gw, h, ingress));
  for (const [path, op] of MODEL_ROUTES) {
    for (const p of withPrefixes(path)) {
      post(p, modelHandler(gw, op));
      any(p, notAllowed(['POST']));
    }
  }
  // Anthropic Messages API: any configured model, answered in Anthropic's shapes.
  for (const p of withPrefixes('/messages')) {
    post(p, modelHandler(gw, 'chat', anthropicIngress), anthropicIngress);
    any(p, notAllowed(['POST']), anthropicIngress);
    post(`${p}/count_tokens`, modelHandler(gw, 'chat', anthropicIngress, beginCountTokens), anthropicIngress);
    any(`${p}/*`, (ex, req) => ex.sendError(new RouteNotFound(req.getMethod().toUpperCase(), req.getUrl())), anthropicIngress);
  }
  const kit: RouteKit = { mount: (method, p, h) => app[method](p, route(gw, h)), tokenOf, originVerified };
  mountResponsesRoutes(gw, kit); // OpenAI Responses API
  mountMediaRoutes(gw, kit); // images/generations, moderations
  mountAudioRoutes(gw, kit); // audio transcriptions/translations/speech, images/edits
  for (const p of withPrefixes('/models')) {
    get(p, modelsHandler(gw, false));
    any(p, notAllowed(['GET']));
    get(`${p}/:id`, modelsHandler(gw, true));
  }
  for (const p of ['/health/liveliness', '/health/liveness', '/health']) {
    get(p, liveliness);
    any(p, notAllowed(['GET']));
  }
  get('/health/readiness', readiness(gw));
  any('/health/readiness', notAllowed(['GET']));
  any('/*', (ex, req) => ex.sendError(new RouteNotFound(req.getMethod().toUpperCase(), req.getUrl())));
}

/** Start the API listener. Rejects when the port cannot be bound. */
export function startApiServer(gw: Gateway): Promise<ApiServer> {
  const uws = loadNativeUws();
  const app = uws.App();
  mountRoutes(app, gw);
  return new Promise((resolve, reject) => {
    app.listen(gw.settings.host, gw.settings.port, (socket: us_listen_socket | false) => {
      if (!socket) return reject(new Error(`cannot listen on ${gw.settings.host}:${gw.settings.port} (address in use?)`));
      let listening: us_listen_socket | undefined = socket;
      resolve({
        port: uws.us_socket_local_port(socket as unknown as Parameters<typeof uws.us_socket_local_port>[0]),
        stopListening: () => {
          if (listening) uws.us_listen_socket_close(listening);
          listening = undefined;
        },
      });
    });
  });
}
