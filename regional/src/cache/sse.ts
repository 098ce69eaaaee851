/**
 * Recording a stream for the cache while it is sent, and replaying a cached stream as SSE.
 * Only complete streams are stored: the recorder gives up when the stream exceeds its size cap, and the
 * result is used only if the stream ended with `data: [DONE]` (aborted or failed streams never are cached).
 */
import type { CachedResponse } from './types.js';

export class SseRecorder {
  private parts: string[] = [];
  private size = 0;
  private overflow = false;

  constructor(private readonly maxBytes = 1 << 20) {}

  /** Feed the bytes sent to the client. */
  push(chunk: Buffer | string): void {
    if (this.overflow) return;
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.size += s.length;
    if (this.size > this.maxBytes) {
      this.overflow = true;
      this.parts = [];
      return;
    }
    this.parts.push(s);
  }

  /** The entry to store, or undefined when the stream was too large or did not finish with [DONE]. */
  finish(): CachedResponse | undefined {
    if (this.overflow) return undefined;
    const body = this.parts.join('');
    if (!/data: \[DONE\]\s*$/.test(body)) return undefined;
    return { kind: 'sse', body, createdAt: Date.now() };
  }
}

/**
 * The frames of a cached stream, one SSE event each, for the HTTP layer to write with backpressure
 * (a hit replays at once; there is no reason to imitate the original pacing).
 */
export function replayFrames(entry: Extract<CachedResponse, { kind: 'sse' }>): string[] {
  const frames: string[] = [];
  for (const ev of entry.body.split(/\n\n/)) if (ev.trim()) frames.push(ev + '\n\n');
  return frames;
}
