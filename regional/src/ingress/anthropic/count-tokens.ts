/**
 * `POST /v1/messages/count_tokens`: Anthropic's token counting endpoint. The request is a Messages request
 * without `max_tokens`; the answer is `{"input_tokens": N}`, counted by the gateway's tokenizer (nothing is sent
 * upstream, no limit or budget is charged). Authenticated like every model endpoint; errors in Anthropic's shape.
 */
import { assertModelAllowed } from '../../auth/virtual-keys.js';
import { GatewayError, ModelNotFound, toGatewayError } from '../../errors/catalogue.js';
import type { ClientExchange } from '../../pipeline/client-exchange.js';
import type { Gateway } from '../../pipeline/context.js';
import { parseJsonObject, validateAnthropicMessages } from '../../validation/index.js';
import { anthropicToOpenAIRequest } from './anthropic-to-openai-request.js';
import { anthropicErrorBody } from './errors.js';
import { countCanonicalPrompt } from './input-tokens.js';

function then<T, R>(v: T | Promise<T>, fn: (x: T) => R | Promise<R>): R | Promise<R> {
  return v instanceof Promise ? v.then(fn) : fn(v);
}

/** Same shape as the pipeline's beginProxy, so the HTTP layer reads the body for it the same way. */
export function beginCountTokens(gw: Gateway, ex: ClientExchange): { run(token: string | undefined, body: Buffer): void; reject(err: GatewayError): void } {
  const fail = (err: unknown) => {
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError)) gw.logger.error({ err, requestId: ex.requestId }, 'count_tokens failed');
    ex.sendJson(e.status, JSON.stringify(anthropicErrorBody(e)), e.headers ? Object.entries(e.headers) : undefined);
  };
  const count = (principal: Parameters<typeof assertModelAllowed>[0], raw: Buffer): number | Promise<number> => {
    const body = parseJsonObject(raw);
    validateAnthropicMessages(body, true);
    // The translator wants max_tokens; counting does not use it.
    const canonical = anthropicToOpenAIRequest({ ...body, max_tokens: 1 }) as unknown as Record<string, unknown>;
    const model = canonical.model as string;
    if (!gw.catalog.get(model)) throw new ModelNotFound(model);
    assertModelAllowed(principal, model);
    return countCanonicalPrompt(model, canonical);
  };
  return {
    run(token, raw) {
      try {
        const answered = then(then(gw.auth.authenticate(token), (p) => count(p, raw)), (n) => ex.sendJson(200, JSON.stringify({ input_tokens: n })));
        if (answered instanceof Promise) answered.catch(fail);
      } catch (err) {
        fail(err);
      }
    },
    reject: fail,
  };
}
