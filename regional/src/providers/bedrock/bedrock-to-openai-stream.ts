/** Bedrock ConverseStream (binary event stream) → OpenAI chat.completion.chunk SSE stream. */
import type { StreamTranslator, Usage } from '../adapter.js';
import { ChunkWriter, type OAIFinishReason } from '../common/openai-wire.js';
import { bedrockErrorKind } from './bedrock-errors.js';
import { bedrockFinishReason, bedrockUsage } from './bedrock-to-openai-response.js';
import type { ConverseStreamEvents } from './converse-wire.js';
import { EventStreamSplitter, type DecodedEvent } from './event-stream.js';

export class BedrockToOpenAIStream implements StreamTranslator {
  private readonly frames = new EventStreamSplitter();
  private readonly out: ChunkWriter;
  /** Converse content-block index → OpenAI tool_calls index. */
  private readonly toolIndex = new Map<number, number>();
  private finish: OAIFinishReason | null = null;
  private finished = false;
  usage: Usage | undefined;

  constructor(id: string, model: string) {
    this.out = new ChunkWriter(id, model);
  }

  push(chunk: Buffer): string {
    if (this.finished) return '';
    let events: DecodedEvent[];
    try {
      events = this.frames.push(chunk);
    } catch (err) {
      this.finished = true;
      return this.out.error(`invalid event stream from Bedrock: ${(err as Error).message}`, 'upstream_error', 'upstream_server_error') + this.out.done();
    }
    let s = '';
    for (const ev of events) s += this.onEvent(ev);
    return s;
  }

  end(): string {
    return this.close();
  }

  private close(): string {
    if (this.finished) return '';
    this.finished = true;
    let s = this.out.start();
    if (this.finish) s += this.out.finish(this.finish);
    if (this.usage) s += this.out.usage(this.usage);
    return s + this.out.done();
  }

  private onEvent(ev: DecodedEvent): string {
    if (this.finished) return '';
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(ev.payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      payload = {};
    }
    if (ev.messageType !== 'event') {
      this.finished = true;
      const kind = bedrockErrorKind(ev.type);
      const message = typeof payload.message === 'string' ? payload.message : `Bedrock ${ev.type}`;
      return this.out.error(message, kind.type, kind.code) + this.out.done();
    }
    switch (ev.type) {
      case 'messageStart':
        return this.out.start();
      case 'contentBlockStart': {
        const e = payload as unknown as ConverseStreamEvents['contentBlockStart'];
        const tu = e.start?.toolUse;
        if (!tu) return '';
        const idx = this.toolIndex.size;
        this.toolIndex.set(e.contentBlockIndex, idx);
        return this.out.toolCallStart(idx, tu.toolUseId, tu.name);
      }
      case 'contentBlockDelta': {
        const e = payload as unknown as ConverseStreamEvents['contentBlockDelta'];
        if (typeof e.delta?.text === 'string') return this.out.text(e.delta.text);
        if (e.delta?.toolUse) {
          const idx = this.toolIndex.get(e.contentBlockIndex);
          return idx === undefined ? '' : this.out.toolCallArgs(idx, e.delta.toolUse.input);
        }
        return '';
      }
      case 'messageStop':
        this.finish = bedrockFinishReason((payload as unknown as ConverseStreamEvents['messageStop']).stopReason);
        return '';
      case 'metadata':
        // The last event: usage arrives after messageStop.
        this.usage = bedrockUsage((payload as unknown as ConverseStreamEvents['metadata']).usage);
        return this.close();
      default:
        return '';
    }
  }
}
