/**
 * Sends one request upstream through undici's dispatch API (no streams or promises per request) and delivers
 * the response either whole (JSON) or chunk by chunk (streams), with pause/resume for backpressure and abort
 * when the client goes away.
 */
import type { Dispatcher } from 'undici';
import type { UpstreamRequest } from '../providers/adapter.js';

type Headers = Record<string, string | string[] | undefined>;

export interface UpstreamSink {
  /** Status and headers arrived. Return 'buffer' to collect the body whole, 'stream' to receive chunks. */
  onStart(status: number, headers: Headers): 'buffer' | 'stream';
  /** A body chunk (stream mode). Return false to pause the upstream until `resume()` is called. */
  onChunk(chunk: Buffer): boolean;
  /** The body is complete; `body` is set in buffer mode. */
  onEnd(body: Buffer | undefined): void;
  /** Connection error, timeout or abort. */
  onError(err: Error): void;
}

export class ClientAborted extends Error {
  override name = 'ClientAborted';
  constructor() {
    super('client went away');
  }
}

/** A live upstream call: abort it, or resume it after a pause. */
export class UpstreamCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private mode: 'buffer' | 'stream' = 'buffer';
  private chunks: Buffer[] | undefined;
  private size = 0;
  private abortedEarly: Error | undefined;
  private done = false;

  constructor(private readonly sink: UpstreamSink) {}

  start(dispatcher: Dispatcher, req: UpstreamRequest, timeoutMs: number): void {
    dispatcher.dispatch(
      {
        origin: req.origin,
        path: req.path,
        method: req.method,
        headers: req.headers,
        body: req.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      this,
    );
  }

  abort(reason: Error = new ClientAborted()): void {
    if (this.done) return;
    if (this.controller) this.controller.abort(reason);
    else this.abortedEarly = reason;
  }

  resume(): void {
    this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortedEarly) controller.abort(this.abortedEarly);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    this.mode = this.sink.onStart(statusCode, headers);
    if (this.mode === 'buffer') this.chunks = [];
    void controller;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.mode === 'buffer') {
      this.chunks!.push(chunk);
      this.size += chunk.length;
    } else if (!this.sink.onChunk(chunk)) {
      controller.pause();
    }
  }

  onResponseEnd(): void {
    this.done = true;
    if (this.mode === 'buffer') {
      const c = this.chunks!;
      this.sink.onEnd(c.length === 1 ? c[0]! : Buffer.concat(c, this.size));
    } else {
      this.sink.onEnd(undefined);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.done) return;
    this.done = true;
    this.sink.onError(err);
  }
}
