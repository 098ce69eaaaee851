/** What the response cache stores: a whole non-streaming body, or the SSE text of a whole stream. */
export type CachedResponse =
  | {
      readonly kind: 'json';
      /** The response body sent to the client (OpenAI shape). */
      readonly body: string;
      readonly contentType: string;
      readonly createdAt: number;
    }
  | {
      readonly kind: 'sse';
      /** The SSE bytes sent to the client, `data: …\n\n` frames through `data: [DONE]\n\n`. */
      readonly body: string;
      readonly createdAt: number;
    };

export interface ResponseCache {
  /** The cached response for a key, or undefined (also when the store fails: the cache is optional). */
  lookup(key: string): Promise<CachedResponse | undefined>;
  /** Store a response for `ttlSeconds`. Failures are swallowed and counted. */
  store(key: string, value: CachedResponse, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}

/** Header on every response of a cache-enabled route: `hit` (served from cache, not billed), `miss`, `bypass`. */
export const CACHE_HEADER = 'x-skyway-cache';
