/**
 * The API listener on uWebSockets.js: routes, body reading, and the two health endpoints. This module and
 * exchange.ts are the only ones that know the transport.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { bearerToken } from '../auth/master-key.js';
import { InvalidApiKey, MethodNotAllowed, ModelNotFound, RouteNotFound, ServiceUnavailable, toGatewayError } from '../errors/catalogue.js';
import type { Operation } from '../providers/adapter.js';
import type { Gateway } from '../pipeline/context.js';
import { anthropicIngress } from '../ingress/anthropic/codec.js';
import { mountResponsesRoutes } from '../ingress/responses/routes.js';
import { mountMediaRoutes } from '../ingress/media/index.js';
import type { Ingress } from '../pipeline/ingress.js';
import { beginProxy } from '../pipeline/proxy.js';
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

function newExchange(gw: Gateway, res: HttpResponse): Exchange {
  const ex = new Exchange(res, randomUUID(), performance.now());
  if (gw.draining) ex.closeConnection = true;
  return ex;
}

function tokenOf(req: HttpRequest): string | undefined {
  const h = req.getHeader('authorization');
  if (h) return bearerToken(h) ?? '';
  return req.getHeader('x-api-key') || undefined;
}

/** Rejects requests that did not come through the edge, when an origin-verification secret is configured. */
function originVerified(gw: Gateway, req: HttpRequest): boolean {
  const secret = gw.settings.originVerifySecret;
  return secret === undefined || req.getHeader('x-skyway-origin-verify') === secret;
}

function modelHandler(gw: Gateway, op: Operation, ingress?: Ingress) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const ex = newExchange(gw, res);
    if (!originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const token = tokenOf(req);
    const declared = Number(req.getHeader('content-length') || 0);
    const pending = beginProxy(gw, ex, op, ingress, req.getHeader('cache-control') || undefined);
    ex.readBody(
      gw.settings.maxBodyBytes,
      Number.isFinite(declared) ? declared : 0,
      (body) => pending.run(token, body),
      (err) => pending.reject(err),
    );
  };
}

function modelsHandler(gw: Gateway, single: boolean) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const ex = newExchange(gw, res);
    const id = single ? decodeURIComponent(req.getParameter(0) ?? '') : '';
    if (!originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const respond = (allowed: ReadonlySet<string> | undefined) => {
      if (!single) return ex.sendJson(200, gw.catalog.listJson(allowed));
      if (!gw.catalog.get(id) || (allowed && !allowed.has(id))) return ex.sendError(new ModelNotFound(id));
      ex.sendJson(200, JSON.stringify(gw.catalog.modelObject(id)));
    };
    try {
      const p = gw.auth.authenticate(tokenOf(req));
      if (p instanceof Promise) p.then((pr) => respond(pr.allowedModels), (err) => ex.sendError(toGatewayError(err)));
      else respond(p.allowedModels);
    } catch (err) {
      ex.sendError(toGatewayError(err));
    }
  };
}

function notAllowed(gw: Gateway, allowed: string[]) {
  return (res: HttpResponse, req: HttpRequest): void => {
    newExchange(gw, res).sendError(new MethodNotAllowed(req.getMethod().toUpperCase(), req.getUrl(), allowed));
  };
}

function liveliness(gw: Gateway) {
  return (res: HttpResponse): void => {
    newExchange(gw, res).sendJson(200, '{"status":"ok"}');
  };
}

function readiness(gw: Gateway) {
  return (res: HttpResponse): void => {
    const ex = newExchange(gw, res);
    if (gw.draining) return ex.sendError(new ServiceUnavailable('The gateway is shutting down.', 'draining'));
    const started = performance.now();
    Promise.all(
      gw.checks.map(async (c) => {
        try {
          await Promise.race([c.check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2000 ms')), 2000).unref())]);
          return [c.name, 'ok'] as const;
        } catch (err) {
          return [c.name, `failed: ${(err as Error).message}`] as const;
        }
      }),
    ).then((results) => {
      const checks = Object.fromEntries([['http', 'ok (native uWebSockets.js)'], ...results]);
      const ok = results.every(([, r]) => r === 'ok');
      ex.sendJson(ok ? 200 : 503, JSON.stringify({ status: ok ? 'ok' : 'unavailable', checks, ms: Math.round(performance.now() - started) }));
    });
  };
}

function mountRoutes(app: TemplatedApp, gw: Gateway): void {
  for (const [path, op] of MODEL_ROUTES) {
    for (const p of withPrefixes(path)) {
      app.post(p, modelHandler(gw, op));
      app.any(p, notAllowed(gw, ['POST']));
    }
  }
  // Anthropic Messages API: any configured model, answered in Anthropic's shapes.
  for (const p of withPrefixes('/messages')) {
    app.post(p, modelHandler(gw, 'chat', anthropicIngress));
    app.any(p, notAllowed(gw, ['POST']));
  }
  mountResponsesRoutes(app, gw, { newExchange, tokenOf, originVerified }); // OpenAI Responses API
  mountMediaRoutes(app, gw, { newExchange, tokenOf, originVerified }); // images/generations, moderations
  for (const p of withPrefixes('/models')) {
    app.get(p, modelsHandler(gw, false));
    app.any(p, notAllowed(gw, ['GET']));
    app.get(`${p}/:id`, modelsHandler(gw, true));
  }
  for (const p of ['/health/liveliness', '/health/liveness', '/health']) {
    app.get(p, liveliness(gw));
    app.any(p, notAllowed(gw, ['GET']));
  }
  app.get('/health/readiness', readiness(gw));
  app.any('/health/readiness', notAllowed(gw, ['GET']));
  app.any('/*', (res, req) => {
    newExchange(gw, res).sendError(new RouteNotFound(req.getMethod().toUpperCase(), req.getUrl()));
  });
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
