/**
 * The Responses API routes: POST /v1/responses (JSON or typed event stream) through the request pipeline with
 * a per-request ResponsesIngress, and GET / DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items on
 * the response store. The key is authenticated here first (the owner of stored responses is its team, and
 * `previous_response_id` must be loaded before the request can be translated); the pipeline authenticates
 * again, which its key cache answers.
 */
import type { HttpRequest } from 'uWebSockets.js';
import type { Principal } from '../../auth/principal.js';
import { InvalidApiKey, MethodNotAllowed, ResponseNotFound, toGatewayError } from '../../errors/catalogue.js';
import type { Exchange } from '../../http/exchange.js';
import type { Gateway } from '../../pipeline/context.js';
import { beginModelRequest } from '../../pipeline/request.js';
import { parseJsonObject, requireModel, validateResponsesRequest } from '../../validation/index.js';
import { ResponsesIngress } from './codec.js';
import { ResponsesPassThrough, speaksResponses } from './pass-through.js';
import type { ResponsesRequest } from './responses-wire.js';

/** A route handler: the HTTP layer has made the exchange and runs the handler inside the request's boundary. */
export type RouteHandler = (ex: Exchange, req: HttpRequest) => void;

/** What the HTTP layer lends these routes (server.ts owns the transport). */
export interface RouteKit {
  /** Mount a handler inside the HTTP layer's per-request boundary (framing checks; a throw answers 500). */
  mount(method: 'post' | 'get' | 'del' | 'any', path: string, handler: RouteHandler): void;
  tokenOf(req: HttpRequest): string | undefined;
  originVerified(gw: Gateway, req: HttpRequest): boolean;
}

/** A path parameter, percent-decoded; a malformed escape is kept as sent (it then matches nothing). */
export function pathParameter(req: HttpRequest, i: number): string {
  const raw = req.getParameter(i) ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Stored responses belong to the key's team; a key without a team owns its own. */
export function ownerOf(p: Principal): string {
  if (p.team?.id) return `team:${p.team.id}`;
  return p.keyId ? `key:${p.keyId}` : 'master';
}

function authenticated(gw: Gateway, token: string | undefined, then: (p: Principal) => void, fail: (err: unknown) => void): void {
  try {
    const p = gw.auth.authenticate(token);
    if (p instanceof Promise) p.then(then, fail);
    else then(p);
  } catch (err) {
    fail(err);
  }
}

function parseRequest(body: Buffer): ResponsesRequest {
  // Bounded (depth-limited before JSON.parse) and checked with OpenAI's rules, like every model request.
  const json = parseJsonObject(body);
  requireModel(json);
  validateResponsesRequest(json);
  return json as unknown as ResponsesRequest;
}

function create(gw: Gateway, kit: RouteKit): RouteHandler {
  return (ex, req) => {
    if (!kit.originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const token = kit.tokenOf(req);
    const cacheControl = req.getHeader('cache-control') || undefined;
    const declared = Number(req.getHeader('content-length') || 0);
    const fail = (err: unknown) => !ex.finished && ex.sendError(toGatewayError(err));
    ex.readBody(gw.settings.maxBodyBytes, Number.isFinite(declared) ? declared : 0, gw.settings.bodyTimeoutMs, (raw) => {
      let request: ResponsesRequest;
      try {
        request = parseRequest(raw);
      } catch (err) {
        return fail(err);
      }
      authenticated(gw, token, (principal) => {
        const owner = ownerOf(principal);
        const prev = request.previous_response_id;
        const history = prev ? gw.responses?.get(prev, owner) : undefined;
        Promise.resolve(history).then((stored) => {
          if (ex.finished) return;
          try {
          const deployments = gw.catalog.get(String(request.model))?.deployments ?? [];
          if (deployments.length > 0 && deployments.every(speaksResponses)) {
            // The upstream speaks Responses: bytes through (an unknown previous_response_id is the upstream's).
            return beginModelRequest(gw, ex, 'responses', new ResponsesPassThrough(request, stored?.context), cacheControl).run(token, raw);
          }
          if (prev && !stored) return fail(new ResponseNotFound(prev, 'previous_response_id'));
          const ingress = new ResponsesIngress({
            request,
            history: stored?.context ?? [],
            owner,
            store: gw.responses,
            onStoreError: (err) => gw.logger.error({ err, requestId: ex.requestId }, 'could not store a response'),
          });
          beginModelRequest(gw, ex, 'chat', ingress, cacheControl).run(token, raw);
          } catch (err) {
            // This continuation is outside the route's synchronous boundary: answer here, never reject.
            gw.boundary.internal(err, ex.requestId, 'responses');
            fail(err);
          }
        }, fail);
      }, fail);
    }, fail);
  };
}

/** GET /v1/responses/:id, DELETE /v1/responses/:id, GET /v1/responses/:id/input_items. */
function stored(gw: Gateway, kit: RouteKit, action: 'get' | 'delete' | 'input_items'): RouteHandler {
  return (ex, req) => {
    if (!kit.originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const id = pathParameter(req, 0);
    const order = req.getQuery('order') === 'asc' ? 'asc' : 'desc';
    const limit = Math.min(100, Math.max(1, Number(req.getQuery('limit')) || 20));
    const fail = (err: unknown) => !ex.finished && ex.sendError(toGatewayError(err));
    authenticated(gw, kit.tokenOf(req), (principal) => {
      const owner = ownerOf(principal);
      const store = gw.responses;
      if (!store) return fail(new ResponseNotFound(id));
      if (action === 'delete') {
        store.delete(id, owner).then((deleted) => {
          if (ex.finished) return;
          if (!deleted) return fail(new ResponseNotFound(id));
          ex.sendJson(200, JSON.stringify({ id, object: 'response', deleted: true }));
        }, fail);
        return;
      }
      store.get(id, owner).then((row) => {
        if (ex.finished) return;
        if (!row) return fail(new ResponseNotFound(id));
        if (action === 'get') return ex.sendJson(200, JSON.stringify(row.response));
        const items = order === 'asc' ? row.input : [...row.input].reverse();
        const data = items.slice(0, limit) as Array<{ id?: string }>;
        ex.sendJson(200, JSON.stringify({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: items.length > limit }));
      }, fail);
    }, fail);
  };
}

/** Mount the routes (with and without `/v1`, as the other model routes are). */
export function mountResponsesRoutes(gw: Gateway, kit: RouteKit): void {
  for (const base of ['/v1/responses', '/responses']) {
    kit.mount('post', base, create(gw, kit));
    kit.mount('get', `${base}/:id`, stored(gw, kit, 'get'));
    kit.mount('del', `${base}/:id`, stored(gw, kit, 'delete'));
    kit.mount('get', `${base}/:id/input_items`, stored(gw, kit, 'input_items'));
    for (const [path, allowed] of [[base, ['POST']], [`${base}/:id`, ['GET', 'DELETE']], [`${base}/:id/input_items`, ['GET']]] as const) {
      kit.mount('any', path, (ex, req) => ex.sendError(new MethodNotAllowed(req.getMethod().toUpperCase(), req.getUrl(), [...allowed])));
    }
  }
}
