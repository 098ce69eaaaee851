/**
 * Ingress: the canonical chat.completion.chunk SSE stream → the Responses API's typed event stream:
 * response.created, response.in_progress, then per output item response.output_item.added,
 * (response.content_part.added, response.output_text.delta…, response.output_text.done,
 * response.content_part.done) or (response.function_call_arguments.delta…, …done), response.output_item.done,
 * and last response.completed (or response.incomplete / response.failed). The canonical stream always
 * carries usage, which response.completed reports.
 */
import type { OAIChatChunk, OAIFinishReason, OAIUsage } from '../../providers/common/openai-wire.js';
import { newId, responsesUsageOf, statusOf } from './chat-to-responses-response.js';
import type { ResponseObject, ResponsesOutputFunctionCall, ResponsesOutputItem, ResponsesOutputMessage } from './responses-wire.js';

interface OpenText {
  item: ResponsesOutputMessage;
  index: number;
  text: string;
}

export class ChatToResponsesStream {
  private buf = '';
  private seq = 0;
  private started = false;
  private done = false;
  private text: OpenText | undefined;
  /** Chat tool_calls index → the open function_call item and its output index. */
  private readonly calls = new Map<number, { item: ResponsesOutputFunctionCall; index: number }>();
  private readonly output: ResponsesOutputItem[] = [];
  private finish: OAIFinishReason | null = null;
  private usage: OAIUsage | undefined;

  /**
   * @param shell the Response object before output (response.created carries it)
   * @param onFinal called once with the final Response (for storage)
   */
  constructor(
    private readonly shell: ResponseObject,
    private readonly onFinal?: (r: ResponseObject) => void,
  ) {}

  private event(type: string, data: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...data })}\n\n`;
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    return this.event('response.created', { response: this.shell }) + this.event('response.in_progress', { response: this.shell });
  }

  push(sse: Buffer): string {
    this.buf += sse.toString('utf8');
    let s = this.start();
    let nl: number;
    while ((nl = this.buf.indexOf('\n\n')) >= 0) {
      const frame = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 2);
      for (const line of frame.split('\n')) if (line.startsWith('data:')) s += this.onData(line.slice(5).trim());
    }
    return s;
  }

  end(): string {
    return this.start() + this.complete();
  }

  /** An error after the stream started: response.failed, as OpenAI ends a failed stream. */
  fail(code: string, message: string): string {
    if (this.done) return '';
    this.done = true;
    const response: ResponseObject = { ...this.shell, status: 'failed', error: { code, message }, output: this.output, usage: responsesUsageOf(this.usage) };
    this.onFinal?.(response);
    return this.start() + this.event('response.failed', { response });
  }

  private onData(data: string): string {
    if (this.done || !data || data === '[DONE]') return '';
    let chunk: OAIChatChunk & { error?: { message?: string; code?: string | null; type?: string } };
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      return '';
    }
    if (chunk.error) return this.fail(chunk.error.code ?? chunk.error.type ?? 'server_error', chunk.error.message ?? 'upstream error');
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return '';
    let s = '';
    const d = choice.delta ?? {};
    if (typeof d.content === 'string' && d.content) s += this.textDelta(d.content);
    for (const tc of d.tool_calls ?? []) s += this.toolDelta(tc.index, tc.id, tc.function?.name, tc.function?.arguments);
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return s;
  }

  private textDelta(delta: string): string {
    let s = '';
    if (!this.text) {
      const item: ResponsesOutputMessage = { type: 'message', id: newId('msg'), status: 'in_progress', role: 'assistant', content: [] };
      this.text = { item, index: this.output.length, text: '' };
      this.output.push(item);
      s += this.event('response.output_item.added', { output_index: this.text.index, item });
      s += this.event('response.content_part.added', { item_id: item.id, output_index: this.text.index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    }
    this.text.text += delta;
    return s + this.event('response.output_text.delta', { item_id: this.text.item.id, output_index: this.text.index, content_index: 0, delta, logprobs: [] });
  }

  private closeText(): string {
    const t = this.text;
    if (!t) return '';
    this.text = undefined;
    const part = { type: 'output_text' as const, text: t.text, annotations: [] };
    t.item.content = [part];
    t.item.status = 'completed';
    return (
      this.event('response.output_text.done', { item_id: t.item.id, output_index: t.index, content_index: 0, text: t.text, logprobs: [] }) +
      this.event('response.content_part.done', { item_id: t.item.id, output_index: t.index, content_index: 0, part }) +
      this.event('response.output_item.done', { output_index: t.index, item: t.item })
    );
  }

  private toolDelta(index: number, id: string | undefined, name: string | undefined, args: string | undefined): string {
    let s = '';
    let open = this.calls.get(index);
    if (!open) {
      s += this.closeText();
      const item: ResponsesOutputFunctionCall = { type: 'function_call', id: newId('fc'), status: 'in_progress', call_id: id ?? newId('call'), name: name ?? '', arguments: '' };
      open = { item, index: this.output.length };
      this.calls.set(index, open);
      this.output.push(item);
      s += this.event('response.output_item.added', { output_index: open.index, item: { ...item } });
    }
    if (args) {
      open.item.arguments += args;
      s += this.event('response.function_call_arguments.delta', { item_id: open.item.id, output_index: open.index, delta: args });
    }
    return s;
  }

  private complete(): string {
    if (this.done) return '';
    this.done = true;
    let s = this.closeText();
    for (const { item, index } of this.calls.values()) {
      item.status = 'completed';
      s += this.event('response.function_call_arguments.done', { item_id: item.id, output_index: index, name: item.name, arguments: item.arguments });
      s += this.event('response.output_item.done', { output_index: index, item });
    }
    const status = statusOf(this.finish);
    const response: ResponseObject = { ...this.shell, ...status, output: this.output, usage: responsesUsageOf(this.usage) };
    this.onFinal?.(response);
    return s + this.event(status.status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
  }
}
