/**
 * `POST /v1/images/generations` and `POST /v1/moderations` for OpenAI-compatible deployments: JSON bodies
 * through the request pipeline as they are (keys, model lists, limits, budgets, usage events and cost apply;
 * gpt-image models report token usage, which is priced like any other), answered untouched. A model with a
 * deployment of another provider is refused: there is no translation for these endpoints.
 */
import { isOpenAICompatible } from '../../config/providers.js';
import { InvalidApiKey, InvalidRequest, MethodNotAllowed, type GatewayError } from '../../errors/catalogue.js';
import type { Gateway } from '../../pipeline/context.js';
import type { Ingress, IngressStream } from '../../pipeline/ingress.js';
import { beginModelRequest } from '../../pipeline/request.js';
import { parseJsonObject } from '../../validation/index.js';
import type { ParsedRequest } from '../../pipeline/validate.js';
import type { Operation, Usage } from '../../providers/adapter.js';
import { imageEditUsage } from '../audio/media-usage.js';
import type { RouteHandler, RouteKit } from '../responses/routes.js';

/** OpenAI's defaults when the client names no model (the SDKs make `model` optional here). */
const DEFAULT_MODEL: Partial<Record<Operation, string>> = { images: 'dall-e-2', moderations: 'omni-moderation-latest' };
const REQUIRED: Partial<Record<Operation, string>> = { images: 'prompt', moderations: 'input' };

const identity: IngressStream = { push: (b) => b.toString('utf8'), end: () => '' };

class MediaPassThrough implements Ingress {
  readonly name: string;
  constructor(
    private readonly gw: Gateway,
    private readonly op: Operation,
  ) {
    this.name = `openai-${op}`;
  }

  parse(raw: Buffer): ParsedRequest {
    const b = parseJsonObject(raw);
    const required = REQUIRED[this.op]!;
    if (b[required] === undefined) throw new InvalidRequest(`you must provide a '${required}' parameter`, required, 'missing_required_parameter');
    const model = typeof b.model === 'string' && b.model ? b.model : DEFAULT_MODEL[this.op]!;
    b.model = model;
    if (b.stream === true) throw new InvalidRequest(`streaming is not supported on this endpoint`, 'stream');
    const deployments = this.gw.catalog.get(model)?.deployments ?? [];
    if (deployments.some((d) => !isOpenAICompatible(d.provider))) {
      throw new InvalidRequest(`The model '${model}' does not serve ${this.op}: only OpenAI-compatible deployments do.`, 'model', 'unsupported_operation');
    }
    return { body: b, model, stream: false };
  }

  response(upstream: Buffer | string): string {
    return typeof upstream === 'string' ? upstream : upstream.toString('utf8');
  }

  stream(): IngressStream {
    return identity;
  }

  error(e: GatewayError): string {
    return e.toJSON();
  }

  streamError(e: GatewayError): string {
    return `data: ${e.toJSON()}\n\n`;
  }

  /** Image generations are billed per image (dall-e) or in tokens (gpt-image): count the images returned. */
  usage(canonical: Buffer | string, parsed: ParsedRequest, usage: Usage | undefined): Usage | undefined {
    if (this.op !== 'images') return usage;
    const b = parsed.body;
    const field = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const u = imageEditUsage(typeof canonical === 'string' ? Buffer.from(canonical) : canonical, { size: field(b.size), quality: field(b.quality) });
    return u.images || u.promptTokens || u.completionTokens ? u : usage;
  }
}

function handler(gw: Gateway, kit: RouteKit, ingress: Ingress, op: Operation): RouteHandler {
  return (ex, req) => {
    if (!kit.originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const token = kit.tokenOf(req);
    const declared = Number(req.getHeader('content-length') || 0);
    const pending = beginModelRequest(gw, ex, op, ingress, req.getHeader('cache-control') || undefined);
    ex.readBody(gw.settings.maxBodyBytes, Number.isFinite(declared) ? declared : 0, gw.settings.bodyTimeoutMs, (body) => pending.run(token, body), (err) => pending.reject(err));
  };
}

/** Mount the routes (with and without `/v1`). */
export function mountMediaRoutes(gw: Gateway, kit: RouteKit): void {
  for (const [path, op] of [['/images/generations', 'images'], ['/moderations', 'moderations']] as const) {
    const ingress = new MediaPassThrough(gw, op);
    for (const p of [`/v1${path}`, path]) {
      kit.mount('post', p, handler(gw, kit, ingress, op));
      kit.mount('any', p, (ex, req) => ex.sendError(new MethodNotAllowed(req.getMethod().toUpperCase(), req.getUrl(), ['POST'])));
    }
  }
}
