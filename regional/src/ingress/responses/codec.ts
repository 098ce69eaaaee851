/**
 * The Responses API ingress for one request: the pipeline sees an Ingress (canonical chat request in; chat
 * response, stream and errors out, in Responses shapes), and this object keeps what the translation needs
 * across the request — the client's request, the stored conversation it continues, and where to store the
 * result. One instance per request (the Anthropic ingress is stateless; this one is not).
 */
import type { GatewayError } from '../../errors/catalogue.js';
import type { Ingress, IngressStream } from '../../pipeline/ingress.js';
import type { ParsedRequest } from '../../pipeline/validate.js';
import type { OAIChatCompletion } from '../../providers/common/openai-wire.js';
import { chatToResponsesResponse, newId, responseShell } from './chat-to-responses-response.js';
import { ChatToResponsesStream } from './chat-to-responses-stream.js';
import { inputItems, responsesToChatRequest } from './responses-to-chat-request.js';
import type { ResponseObject, ResponsesInputItem, ResponsesRequest } from './responses-wire.js';
import type { ResponseStore } from './store.js';

export interface ResponsesCall {
  request: ResponsesRequest;
  /** The conversation of `previous_response_id` (empty for a new one). */
  history: ResponsesInputItem[];
  /** Who owns what this request stores: the key's team (or the key). */
  owner: string;
  store: ResponseStore | undefined;
  /** Reports a failed write (the client already has its answer). */
  onStoreError(err: unknown): void;
}

/** Input items with ids, as GET /input_items lists them. */
function withIds(items: ResponsesInputItem[]): ResponsesInputItem[] {
  return items.map((it) => ((it as { id?: unknown }).id ? it : { ...it, id: newId((it as { type?: string }).type === 'function_call_output' ? 'fco' : 'msg') }));
}

export class ResponsesIngress implements Ingress {
  readonly name = 'responses';
  readonly id = newId('resp');
  private live: ChatToResponsesStream | undefined;

  constructor(private readonly call: ResponsesCall) {}

  parse(): ParsedRequest {
    const canonical = responsesToChatRequest(this.call.request, this.call.history) as unknown as Record<string, unknown>;
    return { body: canonical, model: canonical.model as string, stream: canonical.stream === true };
  }

  response(openai: Buffer | string, model: string): string {
    const parsed = JSON.parse(typeof openai === 'string' ? openai : openai.toString('utf8')) as OAIChatCompletion;
    const response = chatToResponsesResponse(parsed, responseShell(this.id, this.call.request, model));
    this.save(response);
    return JSON.stringify(response);
  }

  stream(model: string): IngressStream {
    this.live = new ChatToResponsesStream(responseShell(this.id, this.call.request, model), (r) => this.save(r));
    return this.live;
  }

  error(e: GatewayError): string {
    return e.toJSON();
  }

  streamError(e: GatewayError): string {
    const failed = this.live?.fail(e.code, e.message) ?? '';
    return failed + `event: error\ndata: ${JSON.stringify({ type: 'error', code: e.code, message: e.message, param: e.param })}\n\n`;
  }

  private save(response: ResponseObject): void {
    const { store, request } = this.call;
    if (!store || request.store === false) return;
    const input = withIds(inputItems(request.input));
    const context = [...this.call.history, ...input, ...(response.output as ResponsesInputItem[])];
    store.save({ id: response.id, owner: this.call.owner, model: response.model, response, input, context }).catch((err) => this.call.onStoreError(err));
  }
}
