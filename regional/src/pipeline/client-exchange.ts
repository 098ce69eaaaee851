/**
 * What the request path needs from the transport, declared here and implemented by http/exchange.ts: the
 * pipeline answers through this interface and never sees uWebSockets.js (a test can drive it with a fake).
 */
import type { GatewayError } from '../errors/catalogue.js';

export type HeaderList = Array<[string, string]>;

export interface ClientExchange {
  readonly requestId: string;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** The response has been completed, or the client went away. */
  readonly finished: boolean;
  /** An SSE response has started (its headers are gone). */
  readonly streaming: boolean;
  /** Status sent to the client (499 when it went away first). */
  readonly status: number;
  /** ms timestamp of the last byte written (SSE heartbeats). */
  readonly lastWriteAt: number;
  /** Time waiting for upstreams, and in retry backoff: both excluded from the overhead figure. */
  upstreamMs: number;
  backoffMs: number;
  /** Gateway time so far, excluding upstream time and retry backoff. */
  overheadMs(now: number): number;
  /** Run `fn` when the client goes away before the response completes. */
  onAbort(fn: () => void): void;
  sendJson(status: number, body: string | Buffer, headers?: HeaderList): void;
  /** A catalogue error in the OpenAI shape (optionally closing the connection). */
  sendError(err: GatewayError, closeConnection?: boolean): void;
  startStream(headers?: HeaderList): void;
  /** Returns false when the client's socket is backed up: pause the source until `whenWritable`. */
  write(chunk: Buffer | string): boolean;
  whenWritable(fn: () => void): void;
  endStream(tail?: Buffer | string): void;
}
