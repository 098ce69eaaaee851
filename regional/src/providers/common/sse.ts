/**
 * Incremental Server-Sent Events parser: bytes in, complete events out. Handles `\n`, `\r\n` and `\r` line
 * ends, multi-line `data:`, comments, and events split across chunks (including a UTF-8 character split
 * across two chunks).
 */
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  event: string | undefined;
  data: string;
}

export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';
  private event: string | undefined;
  private data: string[] = [];

  push(chunk: Buffer | string): SseEvent[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    return this.drain(false);
  }

  /** Input ended: flush a final event that lacked its blank line. */
  end(): SseEvent[] {
    this.buf += this.decoder.end();
    const out = this.drain(true);
    if (this.data.length) out.push(this.take());
    return out;
  }

  private take(): SseEvent {
    const ev = { event: this.event, data: this.data.join('\n') };
    this.event = undefined;
    this.data = [];
    return ev;
  }

  private drain(final: boolean): SseEvent[] {
    const out: SseEvent[] = [];
    let start = 0;
    const eol = /\r\n|\n|\r/g;
    for (;;) {
      eol.lastIndex = start;
      const m = eol.exec(this.buf);
      if (!m) break;
      const lineEnd = m.index;
      // A lone '\r' at the very end may be the first half of '\r\n': wait for more input.
      if (!final && this.buf[lineEnd] === '\r' && lineEnd + 1 === this.buf.length) break;
      const line = this.buf.slice(start, lineEnd);
      start = lineEnd + (this.buf.startsWith('\r\n', lineEnd) ? 2 : 1);
      if (line === '') {
        if (this.data.length || this.event !== undefined) out.push(this.take());
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
    }
    this.buf = this.buf.slice(start);
    return out;
  }
}

/** Parse one SSE `data` payload as JSON, or undefined when it is not JSON (e.g. `[DONE]`). */
export function parseJsonData<T>(data: string): T | undefined {
  if (!data || data === '[DONE]') return undefined;
  try {
    return JSON.parse(data) as T;
  } catch {
    return undefined;
  }
}
