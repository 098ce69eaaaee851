/**
 * Responses API requests for models whose every deployment speaks the Responses API itself (OpenAI-compatible
 * providers marked `options.responses_api: true`): the body goes upstream as the client sent it (model name
 * mapped), and the answer, stream and usage come back untouched; the upstream stores what it stores. A
 * conversation the gateway stored (it began on a translated model) continues here with its items inlined.
 */
import { isOpenAICompatible } from '../../config/providers.js';
import type { GatewayError } from '../../errors/catalogue.js';
import type { Ingress, IngressStream } from '../../pipeline/ingress.js';
import type { ParsedRequest } from '../../pipeline/validate.js';
import type { Deployment } from '../../providers/adapter.js';
import { inputItems } from './responses-to-chat-request.js';
import type { ResponsesInputItem, ResponsesRequest } from './responses-wire.js';

/** Whether a deployment takes POST /responses itself. */
export function speaksResponses(d: Deployment): boolean {
  return isOpenAICompatible(d.provider) && d.options.responses_api === true;
}

const identity: IngressStream = { push: (b) => b.toString('utf8'), end: () => '' };

export class ResponsesPassThrough implements Ingress {
  readonly name = 'responses-upstream';
  constructor(
    private readonly request: ResponsesRequest,
    /** The gateway-stored conversation `previous_response_id` named, if the gateway has it. */
    private readonly history: ResponsesInputItem[] | undefined,
  ) {}

  parse(): ParsedRequest {
    const body = { ...this.request } as Record<string, unknown>;
    if (this.history) {
      body.input = [...this.history, ...inputItems(this.request.input)];
      delete body.previous_response_id;
    }
    // Marks the stream as carrying usage, so the pipeline adds no chat stream_options (the adapter drops it).
    if (body.stream === true) body.stream_options = { include_usage: true };
    return { body, model: String(body.model ?? ''), stream: body.stream === true };
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
    return `event: error\ndata: ${JSON.stringify({ type: 'error', code: e.code, message: e.message, param: e.param })}\n\n`;
  }
}
