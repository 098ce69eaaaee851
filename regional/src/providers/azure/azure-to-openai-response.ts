/** Azure OpenAI responses are OpenAI responses: pass through, reading usage on the way. */
import type { StreamTranslator, TranslatedResponse, Usage } from '../adapter.js';
import { fromOAIUsage, type OAIUsage } from '../common/openai-wire.js';
import { parseJsonData, SseParser } from '../common/sse.js';

export function azureResponse(body: Buffer): TranslatedResponse {
  let usage: Usage | undefined;
  try {
    usage = fromOAIUsage((JSON.parse(body.toString('utf8')) as { usage?: OAIUsage }).usage);
  } catch {
    usage = undefined;
  }
  return { body, usage };
}

/** Forwards the bytes untouched; parses only events that carry usage. */
export class AzurePassThroughStream implements StreamTranslator {
  private readonly sse = new SseParser();
  usage: Usage | undefined;

  push(chunk: Buffer): Buffer {
    this.scan(this.sse.push(chunk));
    return chunk;
  }

  end(): string {
    this.scan(this.sse.end());
    return '';
  }

  private scan(events: Array<{ data: string }>): void {
    for (const ev of events) {
      if (!ev.data.includes('"usage"')) continue;
      const u = fromOAIUsage(parseJsonData<{ usage?: OAIUsage }>(ev.data)?.usage);
      if (u) this.usage = u;
    }
  }
}
