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
  /** One of the calls above threw: the upstream call is aborted; the sink answers its client (500). */
  onCrash(err: unknown): void;
}

/** Buffered (non-stream) upstream bodies larger than this are refused (a runaway upstream must not exhaust memory). */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

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

  constructor(
    private readonly sink: UpstreamSink,
    /** Cap for a buffered body; past it the call ends with `tooLarge()`'s error. */
    private readonly maxBufferedBytes = MAX_BUFFERED_BYTES,
    private readonly tooLarge: () => Error = () => new Error(`upstream response larger than ${maxBufferedBytes} bytes`),
  ) {}

  /** The sink threw: stop the upstream call and let the sink answer its client. Never throws. */
  private crashed(err: unknown): void {
    this.done = true;
    try {
      this.controller?.abort(err instanceof Error ? err : new Error(String(err)));
    } catch {
      /* already ended */
    }
    this.sink.onCrash(err);
  }

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

  // Every sink call is inside a try: undici swallows what its handlers throw, and a request would hang.

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    try {
      this.mode = this.sink.onStart(statusCode, headers);
      if (this.mode === 'buffer') this.chunks = [];
    } catch (err) {
      this.crashed(err);
    }
    void controller;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    try {
      if (this.mode === 'buffer') {
        this.size += chunk.length;
        if (this.size > this.maxBufferedBytes) {
          this.chunks = [];
          controller.abort(this.tooLarge());
          return;
        }
        this.chunks!.push(chunk);
      } else if (!this.sink.onChunk(chunk)) {
        controller.pause();
      }
    } catch (err) {
      this.crashed(err);
    }
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.done = true;
    try {
      if (this.mode === 'buffer') {
        const c = this.chunks!;
        this.sink.onEnd(c.length === 1 ? c[0]! : Buffer.concat(c, this.size));
      } else {
        this.sink.onEnd(undefined);
      }
    } catch (err) {
      this.sink.onCrash(err);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.done) return;
    this.done = true;
    try {
      this.sink.onError(err);
    } catch (again) {
      this.sink.onCrash(again);
    }
  }
}
