/** Anthropic Messages SSE stream → OpenAI chat.completion.chunk SSE stream. */
import type { StreamTranslator, Usage } from '../adapter.js';
import type { AnthropicStreamEvent } from './anthropic-wire.js';
import { anthropicFinishReason, anthropicUsage } from './anthropic-to-openai-response.js';
import { ChunkWriter, type OAIFinishReason } from '../common/openai-wire.js';
import { parseJsonData, SseParser } from '../common/sse.js';
import { anthropicErrorKind } from './anthropic-errors.js';

export class AnthropicToOpenAIStream implements StreamTranslator {
  private readonly sse = new SseParser();
  private readonly out: ChunkWriter;
  /** Anthropic content-block index → OpenAI tool_calls index. */
  private readonly toolIndex = new Map<number, number>();
  private inputUsage: Usage | undefined;
  private outputTokens = 0;
  private finish: OAIFinishReason | null = null;
  private finished = false;
  usage: Usage | undefined;

  constructor(requestId: string, model: string) {
    this.out = new ChunkWriter(requestId, model);
  }

  push(chunk: Buffer): string {
    let s = '';
    for (const ev of this.sse.push(chunk)) s += this.onEvent(parseJsonData<AnthropicStreamEvent>(ev.data));
    return s;
  }

  end(): string {
    let s = '';
    for (const ev of this.sse.end()) s += this.onEvent(parseJsonData<AnthropicStreamEvent>(ev.data));
    return s + this.close();
  }

  private close(): string {
    if (this.finished) return '';
    this.finished = true;
    let s = this.out.start();
    if (this.finish) s += this.out.finish(this.finish);
    if (this.usage) s += this.out.usage(this.usage);
    return s + this.out.done();
  }

  private onEvent(ev: AnthropicStreamEvent | undefined): string {
    if (!ev || this.finished) return '';
    switch (ev.type) {
      case 'message_start':
        this.out.setId(ev.message.id);
        this.inputUsage = anthropicUsage(ev.message.usage);
        this.outputTokens = ev.message.usage?.output_tokens ?? 0;
        this.updateUsage();
        return this.out.start();
      case 'content_block_start': {
        const b = ev.content_block;
        if (b.type === 'tool_use') {
          const idx = this.toolIndex.size;
          this.toolIndex.set(ev.index, idx);
          const initial = b.input && Object.keys(b.input).length ? JSON.stringify(b.input) : '';
          return this.out.toolCallStart(idx, b.id, b.name, initial);
        }
        if (b.type === 'text') return this.out.text(b.text);
        return '';
      }
      case 'content_block_delta': {
        const d = ev.delta;
        if (d.type === 'text_delta') return this.out.text(d.text);
        if (d.type === 'input_json_delta') {
          const idx = this.toolIndex.get(ev.index);
          return idx === undefined ? '' : this.out.toolCallArgs(idx, d.partial_json);
        }
        return '';
      }
      case 'message_delta':
        this.finish = anthropicFinishReason(ev.delta?.stop_reason) ?? this.finish;
        if (typeof ev.usage?.output_tokens === 'number') this.outputTokens = ev.usage.output_tokens;
        if (typeof ev.usage?.input_tokens === 'number') this.inputUsage = anthropicUsage({ ...ev.usage, input_tokens: ev.usage.input_tokens });
        this.updateUsage();
        return '';
      case 'message_stop':
        return this.close();
      case 'error': {
        this.finished = true;
        const kind = anthropicErrorKind(ev.error?.type);
        return this.out.error(ev.error?.message ?? 'upstream error', kind.type, kind.code) + this.out.done();
      }
      default:
        return '';
    }
  }

  private updateUsage(): void {
    if (!this.inputUsage) return;
    // The prompt side (cache reads and writes included) comes from message_start; the output count grows.
    this.usage = { ...this.inputUsage, completionTokens: this.outputTokens, totalTokens: this.inputUsage.promptTokens + this.outputTokens };
  }
}
