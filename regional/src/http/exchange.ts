/**
 * One client request/response on uWebSockets.js: reading the body under a size cap, writing JSON or an SSE
 * stream with backpressure, and knowing when the client went away. All uWS response calls live here (and in
 * server.ts), so the rest of the gateway never touches the transport.
 *
 * uWS rules honoured: onAborted is registered before anything async; writes made outside a uWS callback are
 * corked; nothing touches `res` after it ended or was aborted; streamed writes respect backpressure.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { PayloadTooLarge, RequestBodyTimeout, type GatewayError } from '../errors/catalogue.js';
import type { ClientExchange, HeaderList } from '../pipeline/client-exchange.js';
import { unwatchBody, watchBody, type BodyDeadline } from './body-deadlines.js';
import { statusLine } from './status.js';

export type { HeaderList };

const EMPTY = Buffer.alloc(0);

/**
 * `res.cork(fn)` runs `fn` at once: the hot writes (a JSON answer, a stream chunk) hand their arguments over
 * through these slots instead of a new closure per call. The corked function copies them to locals first, so a
 * nested cork (another response written from inside) cannot see them change.
 */
let slotEx: Exchange | undefined;
let slotStatus = 0;
let slotBody: string | Buffer = EMPTY;
let slotHeaders: HeaderList | undefined;
let slotOverhead = 0;
let slotOk = true;

function corkedJson(): void {
  const ex = slotEx!;
  const status = slotStatus;
  const body = slotBody;
  const headers = slotHeaders;
  const overhead = slotOverhead;
  slotEx = undefined;
  slotBody = EMPTY;
  slotHeaders = undefined;
  ex.writeJsonNow(status, body, headers, overhead);
}

function corkedWrite(): void {
  const ex = slotEx!;
  const chunk = slotBody;
  slotEx = undefined;
  slotBody = EMPTY;
  slotOk = ex.res.write(chunk);
}
/** Oversized bodies up to this size are read and dropped so the client sees the 413 (see readBody). */
const DISCARD_LIMIT = 64 * 1024 * 1024;

export class Exchange implements ClientExchange {
  readonly startedAt: number;
  readonly requestId: string;
  aborted = false;
  /** The response has been completed (or the client aborted). */
  finished = false;
  /** Status sent to the client (499 when it went away first). */
  status = 0;
  streaming = false;
  /** ms timestamp of the last byte written (for SSE heartbeats). */
  lastWriteAt = 0;
  /** Time spent waiting for the upstream, excluded from the overhead figure. */
  upstreamMs = 0;
  /** Time spent in retry backoff between attempts, also excluded from the overhead figure. */
  backoffMs = 0;
  /**
   * The request was HEAD: answers carry their headers (Content-Length of the body a GET would get) and no body
   * bytes, or a keep-alive client would read the body as the start of its next response.
   */
  headOnly = false;
  /** Close the connection after the response (set while draining). */
  closeConnection = false;
  /** The error body this route's clients understand (Anthropic's shape on /v1/messages); OpenAI's when unset. */
  errorBody: ((err: GatewayError) => string) | undefined;
  /** Region that serves (x-skyway-region on every response), when known. */
  region: string | undefined;
  private abortHandlers: Array<() => void> | undefined;
  /** The socket was paused by pauseBody(): a keep-alive connection must not stay paused past this response. */
  private bodyPaused = false;
  private writableHandler: (() => void) | undefined;

  constructor(
    readonly res: HttpResponse,
    requestId: string,
    startedAt: number,
  ) {
    this.requestId = requestId;
    this.startedAt = startedAt;
    res.onAborted(() => {
      this.aborted = true;
      if (!this.finished) {
        this.finished = true;
        this.status = 499;
        const handlers = this.abortHandlers;
        this.abortHandlers = undefined;
        if (handlers) for (const h of handlers) h();
      }
    });
  }

  /** Run `fn` when the client goes away before the response completes. */
  onAbort(fn: () => void): void {
    (this.abortHandlers ??= []).push(fn);
  }

  /** Gateway time so far, excluding upstream time and retry backoff. */
  overheadMs(now: number): number {
    return now - this.startedAt - this.upstreamMs - this.backoffMs;
  }

  /**
   * Read the whole body, refusing it with 413 once it passes `limit` bytes. Calls `done` once with the body
   * (a private copy: uWS reuses its chunk memory) unless it was refused or the client went away.
   *
   * An oversized body is still read to its end (and dropped) before the 413 goes out, up to DISCARD_LIMIT:
   * clients such as fetch report a connection reset, not our answer, when the server closes while they are
   * still sending. Past DISCARD_LIMIT the connection is closed at once.
   *
   * A body not complete `timeoutMs` after the headers (a slow or stalled client) is refused with 408 and the
   * connection closed; the bytes that still come are ignored.
   */
  readBody(limit: number, declaredLength: number, timeoutMs: number, done: (body: Buffer) => void, reject: (err: GatewayError) => void): void {
    const discardLimit = Math.max(limit * 4, DISCARD_LIMIT);
    if (declaredLength > discardLimit) {
      this.closeConnection = true;
      reject(new PayloadTooLarge(limit));
      return;
    }
    let buf: Buffer | undefined;
    let len = 0;
    let tooLarge = declaredLength > limit;
    let late = false;
    const deadline: BodyDeadline = {
      at: performance.now() + timeoutMs,
      expire: () => {
        if (this.finished) return;
        late = true;
        buf = undefined;
        this.closeConnection = true;
        reject(new RequestBodyTimeout(timeoutMs));
      },
    };
    watchBody(deadline, timeoutMs);
    this.onAbort(() => unwatchBody(deadline));
    this.res.onData((chunk, isLast) => {
      if (isLast) unwatchBody(deadline);
      if (this.finished || late) return;
      const n = chunk.byteLength;
      len += n;
      if (!tooLarge && len > limit) {
        tooLarge = true;
        buf = undefined;
      }
      if (tooLarge) {
        if (len > discardLimit) this.closeConnection = true;
        if (isLast || len > discardLimit) reject(new PayloadTooLarge(limit));
        return;
      }
      if (n > 0) {
        const at = len - n;
        if (!buf) buf = Buffer.allocUnsafe(declaredLength > 0 ? declaredLength : Math.max(n, 16 * 1024));
        else if (len > buf.length) {
          const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(buf.length * 2, len)));
          buf.copy(grown, 0, 0, at);
          buf = grown;
        }
        buf.set(new Uint8Array(chunk), at);
      }
      if (isLast) done(buf ? buf.subarray(0, len) : EMPTY);
    });
  }

  /**
   * Stream the body through instead of reading it whole (media uploads): `chunk` gets each piece (a private
   * copy) as it arrives, `isLast` on the final one. Past `limit` bytes (declared or counted) `overflow` is
   * called at once (stop forwarding), the rest is read and dropped as in readBody, and `reject` gets the 413
   * once the body ended (at once past DISCARD_LIMIT). The same body deadline applies. The consumer applies
   * backpressure with pauseBody()/resumeBody().
   */
  streamBody(
    limit: number,
    declaredLength: number,
    timeoutMs: number,
    chunk: (part: Buffer, isLast: boolean) => void,
    reject: (err: GatewayError) => void,
    overflow: () => void,
  ): void {
    const discardLimit = Math.max(limit * 4, DISCARD_LIMIT);
    if (declaredLength > discardLimit) {
      this.closeConnection = true;
      reject(new PayloadTooLarge(limit));
      return;
    }
    let len = 0;
    let tooLarge = declaredLength > limit;
    let late = false;
    const deadline: BodyDeadline = {
      at: performance.now() + timeoutMs,
      expire: () => {
        if (this.finished) return;
        late = true;
        this.closeConnection = true;
        reject(new RequestBodyTimeout(timeoutMs));
      },
    };
    watchBody(deadline, timeoutMs);
    this.onAbort(() => unwatchBody(deadline));
    if (tooLarge) overflow();
    this.res.onData((ab, isLast) => {
      if (isLast) unwatchBody(deadline);
      if (late) return;
      len += ab.byteLength;
      if (!tooLarge && len > limit) {
        tooLarge = true;
        overflow();
      }
      if (tooLarge) {
        if (len > discardLimit) this.closeConnection = true;
        if (isLast || len > discardLimit) reject(new PayloadTooLarge(limit));
        return;
      }
      if (this.finished) return;
      chunk(Buffer.from(new Uint8Array(ab)), isLast);
    });
  }

  /**
   * Stop reading the request body (backpressure from the upstream); resumeBody() reads on. Neither touches a
   * response that ended (uWS forbids it); an answer sent while paused resumes first (see sendBody).
   */
  pauseBody(): void {
    if (this.finished || this.bodyPaused) return;
    this.bodyPaused = true;
    this.res.pause();
  }

  resumeBody(): void {
    if (this.finished || !this.bodyPaused) return;
    this.bodyPaused = false;
    this.res.resume();
  }

  /** Send a complete response of any content type (audio, text, JSON passed through). */
  sendBody(status: number, contentType: string, body: string | Buffer, headers?: HeaderList): void {
    if (this.finished) return;
    this.finished = true;
    this.status = status;
    const overhead = this.overheadMs(performance.now());
    this.res.cork(() => {
      this.writeHead(status, contentType, headers, overhead);
      if (this.headOnly) this.endHead(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
      else this.res.end(body, this.closeConnection);
    });
  }

  /** Start a streamed response of any content type (binary audio); write() and endStream() as for SSE. */
  startBinaryStream(contentType: string, headers?: HeaderList): void {
    if (this.finished) return;
    this.streaming = true;
    this.status = 200;
    const overhead = this.overheadMs(performance.now());
    this.lastWriteAt = Date.now();
    this.res.cork(() => {
      this.writeHead(200, contentType, headers, overhead);
      if (this.closeConnection) this.res.writeHeader('connection', 'close');
    });
  }

  private writeHead(status: number, contentType: string, headers: HeaderList | undefined, overheadMs: number): void {
    const res = this.res;
    res.writeStatus(statusLine(status));
    res.writeHeader('content-type', contentType);
    res.writeHeader('x-skyway-request-id', this.requestId);
    res.writeHeader('x-skyway-overhead-ms', overheadMs.toFixed(3));
    if (this.region) res.writeHeader('x-skyway-region', this.region);
    if (headers) for (let i = 0; i < headers.length; i++) res.writeHeader(headers[i]![0], headers[i]![1]);
  }

  /** Send a complete JSON response. Safe to call from any callback. */
  sendJson(status: number, body: string | Buffer, headers?: HeaderList): void {
    if (this.finished) return;
    this.finished = true;
    this.status = status;
    slotEx = this;
    slotStatus = status;
    slotBody = body;
    slotHeaders = headers;
    slotOverhead = this.overheadMs(performance.now());
    this.res.cork(corkedJson);
  }

  /** The corked part of sendJson (see corkedJson). */
  writeJsonNow(status: number, body: string | Buffer, headers: HeaderList | undefined, overhead: number): void {
    this.writeHead(status, 'application/json', headers, overhead);
    if (this.headOnly) this.endHead(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    else this.res.end(body, this.closeConnection);
  }

  /**
   * End a HEAD answer: headers only. On this uWS build `endWithoutBody(n)` drops pipelined requests and
   * `endWithoutBody(undefined, true)` writes a bogus Content-Length, so the length is written as a header and
   * a closing answer says Content-Length 0 (advisory on HEAD; what matters is that no body bytes follow).
   */
  private endHead(length: number): void {
    if (this.closeConnection) return void this.res.end(EMPTY, true);
    this.res.writeHeader('content-length', String(length));
    this.res.endWithoutBody();
  }

  /** Send a catalogue error in the OpenAI shape. */
  sendError(err: GatewayError, closeConnection = false): void {
    let headers: HeaderList | undefined;
    if (err.headers) headers = Object.entries(err.headers);
    if (closeConnection) this.closeConnection = true;
    this.sendJson(err.status, this.errorBody ? this.errorBody(err) : err.toJSON(), headers);
  }

  /** Start an SSE response. */
  startStream(headers?: HeaderList): void {
    if (this.finished) return;
    this.streaming = true;
    this.status = 200;
    const overhead = this.overheadMs(performance.now());
    this.lastWriteAt = Date.now();
    this.res.cork(() => {
      this.writeHead(200, 'text/event-stream; charset=utf-8', headers, overhead);
      this.res.writeHeader('cache-control', 'no-cache');
      this.res.writeHeader('x-accel-buffering', 'no');
      // Said in the headers: once a chunked body has started, uWS's end(…, closeConnection) would write its
      // Connection header into the body (seen on this build: an invalid last chunk while draining).
      if (this.closeConnection) this.res.writeHeader('connection', 'close');
    });
  }

  /**
   * Write stream bytes. Returns false when the client's socket is backed up: the caller pauses its source
   * and resumes it from `whenWritable`.
   */
  write(chunk: Buffer | string): boolean {
    if (this.finished) return true;
    this.lastWriteAt = Date.now();
    slotEx = this;
    slotBody = chunk;
    slotOk = true;
    this.res.cork(corkedWrite);
    return slotOk;
  }

  /** Call `fn` once the client's socket drained (after `write` returned false). */
  whenWritable(fn: () => void): void {
    if (this.finished) return;
    const first = this.writableHandler === undefined;
    this.writableHandler = fn;
    if (first) {
      this.res.onWritable(() => {
        const h = this.writableHandler;
        if (h && !this.finished) h();
        return true;
      });
    }
  }

  /** End a stream (optionally with final bytes). */
  endStream(tail?: Buffer | string): void {
    if (this.finished) return;
    this.finished = true;
    this.res.cork(() => {
      this.res.end(tail ?? EMPTY);
    });
  }
}
