/**
 * The response cache as one request uses it: which key to look up (or none, when the client bypasses the
 * lookup), the state for the `x-skyway-cache` header, and storing the answer — a JSON body, or a stream
 * recorded as it passes — when the client allows it.
 */
import { cacheDirectives, cacheKey } from './key.js';
import { SseRecorder } from './sse.js';
import type { ResponseCache } from './types.js';

export class RequestCache {
  state: 'hit' | 'miss' | 'bypass' | undefined;
  /** The entry key when the answer may be stored. */
  private writeKey: string | undefined;
  private recorder: SseRecorder | undefined;

  constructor(
    private readonly cache: ResponseCache,
    /** The model's cache lifetime in seconds. */
    private readonly ttlSeconds: number,
  ) {}

  /** The key to look up, or undefined when the client asked to bypass the lookup (`cache-control`). */
  lookupKey(body: Record<string, unknown>, namespace: string, operation: string, cacheControl: string | undefined): string | undefined {
    const directives = cacheDirectives(cacheControl);
    const key = cacheKey(body, { namespace, operation });
    if (directives.write) this.writeKey = key;
    this.state = directives.read ? 'miss' : 'bypass';
    return directives.read ? key : undefined;
  }

  /** The request was answered from the cache: nothing to store. */
  hit(): void {
    this.state = 'hit';
    this.writeKey = undefined;
  }

  storeJson(body: Buffer | string): void {
    if (!this.writeKey) return;
    const text = typeof body === 'string' ? body : body.toString('utf8');
    void this.cache.store(this.writeKey, { kind: 'json', body: text, contentType: 'application/json', createdAt: Date.now() }, this.ttlSeconds);
  }

  startStream(): void {
    if (this.writeKey) this.recorder = new SseRecorder();
  }

  streamData(canonical: Buffer | string): void {
    this.recorder?.push(canonical);
  }

  /** The stream ended whole: store it (the recorder refuses streams that are too large or unfinished). */
  endStream(canonicalTail: Buffer | string): void {
    if (!this.recorder || !this.writeKey) return;
    this.recorder.push(canonicalTail);
    const entry = this.recorder.finish();
    if (entry) void this.cache.store(this.writeKey, entry, this.ttlSeconds);
  }
}
