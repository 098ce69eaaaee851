/**
 * Ingress: an OpenAI chunk stream (SSE bytes) → Anthropic Messages stream events (SSE bytes):
 * message_start, content_block_start/delta/stop per text or tool_use block, message_delta, message_stop.
 */
import type { AnthropicStopReason, AnthropicStreamEvent } from '../../providers/anthropic/anthropic-wire.js';
import type { OAIChatChunk, OAIUsage } from '../../providers/common/openai-wire.js';
import { parseJsonData, SseParser } from '../../providers/common/sse.js';
import { anthropicMessageId, anthropicStopReason, anthropicUsageOf } from './openai-to-anthropic-response.js';

function frame(ev: AnthropicStreamEvent): string {
  return `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

export class OpenAIToAnthropicStream {
  private readonly sse = new SseParser();
  private started = false;
  private stopped = false;
  /** Index of the open Anthropic content block, and what it is. */
  private open: { index: number; kind: 'text' | 'tool'; toolIndex?: number } | undefined;
  private nextIndex = 0;
  /** OpenAI tool_calls index → Anthropic block index. */
  private readonly toolBlocks = new Map<number, number>();
  private stopReason: AnthropicStopReason = null;
  private usage: OAIUsage | undefined;

  /**
   * @param inputTokens the prompt tokens the gateway counted, for message_start (the canonical stream reports
   *   usage only at its end); a usage chunk that arrives before message_start wins.
   */
  constructor(
    private readonly model: string,
    private readonly inputTokens: () => number | undefined = () => undefined,
  ) {}

  push(chunk: Buffer): string {
    let s = '';
    for (const ev of this.sse.push(chunk)) s += this.onData(ev.data);
    return s;
  }

  end(): string {
    let s = '';
    for (const ev of this.sse.end()) s += this.onData(ev.data);
    return s + this.finish();
  }

  private start(id: string | undefined): string {
    if (this.started) return '';
    this.started = true;
    const input = this.usage ? anthropicUsageOf(this.usage).input_tokens : (this.inputTokens() ?? 0);
    return frame({
      type: 'message_start',
      message: {
        id: anthropicMessageId(id),
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: input, output_tokens: 0 },
      },
    });
  }

  private closeBlock(): string {
    if (!this.open) return '';
    const index = this.open.index;
    this.open = undefined;
    return frame({ type: 'content_block_stop', index });
  }

  private onData(data: string): string {
    if (this.stopped) return '';
    if (data === '[DONE]') return this.finish();
    const msg = parseJsonData<OAIChatChunk & { error?: { message?: string; type?: string } }>(data);
    if (!msg) return '';
    if (msg.error) {
      this.stopped = true;
      return this.start(undefined) + frame({ type: 'error', error: { type: msg.error.type === 'rate_limit_error' ? 'rate_limit_error' : 'api_error', message: msg.error.message ?? 'upstream error' } });
    }
    if (msg.usage) this.usage = msg.usage;
    let s = this.start(msg.id);
    const choice = msg.choices?.[0];
    if (!choice) return s;
    const d = choice.delta ?? {};
    if (typeof d.content === 'string' && d.content) {
      if (this.open?.kind !== 'text') {
        s += this.closeBlock();
        this.open = { index: this.nextIndex++, kind: 'text' };
        s += frame({ type: 'content_block_start', index: this.open.index, content_block: { type: 'text', text: '' } });
      }
      s += frame({ type: 'content_block_delta', index: this.open.index, delta: { type: 'text_delta', text: d.content } });
    }
    for (const tc of d.tool_calls ?? []) {
      let index = this.toolBlocks.get(tc.index);
      if (index === undefined) {
        s += this.closeBlock();
        index = this.nextIndex++;
        this.toolBlocks.set(tc.index, index);
        this.open = { index, kind: 'tool', toolIndex: tc.index };
        s += frame({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: tc.id ?? `toolu_${index}`, name: tc.function?.name ?? '', input: {} } });
      }
      const args = tc.function?.arguments;
      if (args) s += frame({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: args } });
    }
    if (choice.finish_reason) this.stopReason = anthropicStopReason(choice.finish_reason);
    return s;
  }

  private finish(): string {
    if (this.stopped) return '';
    this.stopped = true;
    let s = this.start(undefined) + this.closeBlock();
    const u = anthropicUsageOf(this.usage);
    s += frame({ type: 'message_delta', delta: { stop_reason: this.stopReason ?? 'end_turn', stop_sequence: null }, usage: u });
    return s + frame({ type: 'message_stop' });
  }
}

export function createOpenAIToAnthropicStream(model: string, inputTokens?: () => number | undefined): OpenAIToAnthropicStream {
  return new OpenAIToAnthropicStream(model, inputTokens);
}
