/**
 * Gemini streamGenerateContent?alt=sse → OpenAI chunks. Each SSE event is a whole GenerateContentResponse;
 * function calls arrive complete (one chunk carries name and arguments); the last event has the usage.
 * There is no end-of-stream sentinel: the connection closing is the end.
 */
import type { StreamTranslator, Usage } from '../adapter.js';
import { ChunkWriter, type OAIFinishReason } from '../common/openai-wire.js';
import { parseJsonData, SseParser } from '../common/sse.js';
import { blockedPrompt, geminiFinishReason, geminiUsage, partsToOpenAI } from './gemini-to-openai-response.js';
import type { GeminiResponse } from './gemini-wire.js';

export class GeminiToOpenAIStream implements StreamTranslator {
  private readonly sse = new SseParser();
  private readonly out: ChunkWriter;
  private toolCount = 0;
  private finish: OAIFinishReason | null = null;
  private finished = false;
  usage: Usage | undefined;

  constructor(id: string, model: string) {
    this.out = new ChunkWriter(id, model);
  }

  push(chunk: Buffer): string {
    let s = '';
    for (const ev of this.sse.push(chunk)) s += this.onResponse(parseJsonData<GeminiResponse & { error?: { message?: string } }>(ev.data));
    return s;
  }

  end(): string {
    let s = '';
    for (const ev of this.sse.end()) s += this.onResponse(parseJsonData<GeminiResponse>(ev.data));
    if (this.finished) return s;
    this.finished = true;
    s += this.out.start();
    if (this.finish) s += this.out.finish(this.finish);
    if (this.usage) s += this.out.usage(this.usage);
    return s + this.out.done();
  }

  private onResponse(res: (GeminiResponse & { error?: { message?: string; status?: string } }) | undefined): string {
    if (!res || this.finished) return '';
    if (res.error) {
      this.finished = true;
      return this.out.error(res.error.message ?? 'Gemini stream error', 'upstream_error', 'upstream_server_error') + this.out.done();
    }
    const blocked = blockedPrompt(res);
    if (blocked) {
      this.finished = true;
      return this.out.error(blocked.message, blocked.type, blocked.code) + this.out.done();
    }
    const u = geminiUsage(res.usageMetadata);
    if (u) this.usage = u;
    const cand = res.candidates?.[0];
    if (!cand) return '';
    let s = this.out.start();
    const { text, toolCalls } = partsToOpenAI(cand.content?.parts);
    s += this.out.text(text);
    for (const tc of toolCalls) s += this.out.toolCallStart(this.toolCount++, tc.id, tc.function.name, tc.function.arguments);
    if (cand.finishReason) this.finish = geminiFinishReason(cand.finishReason, this.toolCount > 0);
    return s;
  }
}
