/**
 * One request/response on uWebSockets.js: reading the body, answering JSON, streaming SSE with backpressure,
 * and telling the server how it ended. Every response registers onAborted (uWS requires it) and corks writes.
 */
import type uWS from 'uWebSockets.js';
import { MockHttpError, statusLine } from './errors.js';
import type { Faults } from './types.js';

/** Largest body the mock reads; more is answered 413. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export type Outcome = 'completed' | 'aborted' | 'cut';

export interface Exchange {
  res: uWS.HttpResponse;
  method: string;
  path: string;
  headers: Record<string, string>;
  requestId: string;
  /** True once the response ended, was cut, or the client went away: nothing more may touch `res`. */
  ended: boolean;
  /** The pending delay or chunk timer, cleared when the exchange ends. */
  timer: NodeJS.Timeout | undefined;
  /** Ends the exchange and reports how. */
  finish(outcome: Outcome): void;
  /** Closes the connection abruptly (an injected fault, or the server closing). */
  cut(): void;
}

export interface ExchangeHooks {
  onEnd(x: Exchange, outcome: Outcome): void;
}

let sequence = 0;

/** Must be called synchronously in the route handler (the request object dies when it returns). */
export function newExchange(res: uWS.HttpResponse, req: uWS.HttpRequest, hooks: ExchangeHooks): Exchange {
  const headers: Record<string, string> = {};
  req.forEach((k, v) => {
    headers[k] = v;
  });
  let cutting = false;
  const x: Exchange = {
    res,
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    headers,
    requestId: `req_mock_${++sequence}`,
    ended: false,
    timer: undefined,
    finish(outcome) {
      if (x.ended) return;
      x.ended = true;
      if (x.timer) clearTimeout(x.timer);
      x.timer = undefined;
      hooks.onEnd(x, outcome);
    },
    cut() {
      if (x.ended) return;
      cutting = true;
      res.close(); // runs onAborted
      x.finish('cut');
    },
  };
  res.onAborted(() => x.finish(cutting ? 'cut' : 'aborted'));
  return x;
}

/** Calls `done` with the whole body. A single-chunk body is a view that is only valid during the call. */
export function readBody(x: Exchange, done: (body: Buffer) => void): void {
  let parts: Buffer[] | undefined;
  let size = 0;
  x.res.onData((chunk, isLast) => {
    if (x.ended) return;
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      sendJson(x, 413, new MockHttpError(413, 'request body too large').body());
      return;
    }
    if (isLast && !parts) {
      done(Buffer.from(chunk));
      return;
    }
    (parts ??= []).push(Buffer.from(Buffer.from(chunk))); // copy: uWS reuses the chunk's memory
    if (isLast) done(Buffer.concat(parts));
  });
}

export function sendJson(x: Exchange, status: number, body: string, headers?: Record<string, string>): void {
  if (x.ended) return;
  const res = x.res;
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json').writeHeader('x-request-id', x.requestId);
    if (headers) for (const k in headers) res.writeHeader(k, headers[k]!);
    res.end(body);
  });
  x.finish('completed');
}

/** A complete answer of any content type (transcripts as text, audio). */
export function sendBody(x: Exchange, status: number, contentType: string, body: string | Buffer): void {
  if (x.ended) return;
  const res = x.res;
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('content-type', contentType).writeHeader('x-request-id', x.requestId);
    res.end(body);
  });
  x.finish('completed');
}

/**
 * Writes SSE events from `events`: back to back (pausing on backpressure until the socket drains), or one per
 * `chunk_delay_ms`; cuts the connection after `error_after_chunks` events when that fault is set.
 */
export function streamEvents(x: Exchange, events: Iterator<string>, faults: Faults): void {
  if (x.ended) return;
  const res = x.res;
  const delay = faults.chunk_delay_ms ?? 0;
  const errorAfter = faults.error_after_chunks;
  let written = 0;
  let blocked = false;
  let started = false;

  const step = (): void => {
    x.timer = undefined;
    if (x.ended) return;
    let next: 'end' | 'cut' | 'wait' | 'blocked' = 'end';
    res.cork(() => {
      if (!started) {
        started = true;
        res
          .writeStatus('200 OK')
          .writeHeader('content-type', 'text/event-stream; charset=utf-8')
          .writeHeader('cache-control', 'no-cache')
          .writeHeader('x-request-id', x.requestId);
      }
      for (;;) {
        if (errorAfter !== undefined && written >= errorAfter) {
          next = 'cut';
          return;
        }
        const r = events.next();
        if (r.done) {
          res.end();
          next = 'end';
          return;
        }
        written++;
        const ok = res.write(r.value);
        if (delay > 0) {
          next = 'wait';
          return;
        }
        if (!ok) {
          next = 'blocked';
          return;
        }
      }
    });
    if (next === 'end') x.finish('completed');
    // Let the corked chunks reach the socket first: closing at once would drop them.
    else if (next === 'cut') x.timer = setTimeout(() => x.cut(), 5);
    else if (next === 'wait') x.timer = setTimeout(step, delay);
    else blocked = true;
  };

  res.onWritable(() => {
    if (blocked) {
      blocked = false;
      step();
    }
    return !blocked;
  });
  step();
}
