/**
 * A raw HTTP/1.1 client over node:net for the fuzz test: it sends any bytes (invalid framing, header bytes no
 * HTTP library would write), can cut the connection at a chosen point, and parses what comes back strictly
 * enough to tell a well-formed response from a malformed one.
 */
import { connect } from 'node:net';

/** When to cut the connection (socket.destroy(), i.e. a reset as a vanishing client would). */
export type AbortPlan =
  | { at: 'never' }
  /** After sending this many bytes of the request (mid-headers or mid-body). */
  | { at: 'request-byte'; byte: number }
  /** This long after the whole request was sent, whatever arrived by then (e.g. while admission is pending). */
  | { at: 'after-send'; ms: number }
  /** Once this many bytes of the response arrived (mid-stream). */
  | { at: 'response-byte'; byte: number };

export interface ParsedResponse {
  status: number;
  reason: string;
  /** Names lower-cased, in order, duplicates kept. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** The body was delimited by the connection's end (no Content-Length, not chunked). */
  closeDelimited: boolean;
}

export type Exchange =
  /** At least one complete response; `extra` are further responses on the same connection (pipelining, smuggling). */
  | { kind: 'answered'; response: ParsedResponse; extra: ParsedResponse[] }
  /** The server closed without sending anything. */
  | { kind: 'closed' }
  /** We cut the connection as planned, before a complete response. `partial` is what had arrived. */
  | { kind: 'aborted'; partial: Buffer }
  /** Bytes arrived that are not an HTTP response, or the connection ended inside one. */
  | { kind: 'malformed'; reason: string; raw: Buffer }
  | { kind: 'timeout'; partial: Buffer };

export function header(r: ParsedResponse, name: string): string | undefined {
  return r.headers.find(([n]) => n === name)?.[1];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type Parse = { done: false } | { done: true; response: ParsedResponse; rest: Buffer } | { error: string };

/** Parse one response from the start of `buf`. `ended`: the connection is closed (no more bytes will come). */
export function parseResponse(buf: Buffer, headRequest: boolean, ended: boolean): Parse {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (!/^H(T(T(P(\/(1(\.[01]?)?)?)?)?)?)?$/.test(buf.subarray(0, 8).toString('latin1'))) return { error: `not an HTTP status line: ${JSON.stringify(buf.subarray(0, 40).toString('latin1'))}` };
    return ended ? { error: 'connection closed inside the response head' } : { done: false };
  }
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] ([1-5][0-9][0-9]) ([^\r\n]*)$/.exec(lines[0]!);
  if (!m) return { error: `bad status line ${JSON.stringify(lines[0])}` };
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name) || /[\0\n\r]/.test(line)) return { error: `bad header line ${JSON.stringify(line.slice(0, 80))}` };
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const status = Number(m[1]);
  const response = (body: Buffer, closeDelimited = false): ParsedResponse => ({ status, reason: m[2]!, headers, body, closeDelimited });
  let at = headEnd + 4;
  if (headRequest || status === 204 || status === 304 || status < 200) return { done: true, response: response(Buffer.alloc(0)), rest: buf.subarray(at) };
  const lengths = headers.filter(([n]) => n === 'content-length').map(([, v]) => v);
  const te = headers.find(([n]) => n === 'transfer-encoding')?.[1];
  if (te !== undefined) {
    if (lengths.length > 0) return { error: 'response has both Transfer-Encoding and Content-Length' };
    if (te.toLowerCase() !== 'chunked') return { error: `response Transfer-Encoding ${te}` };
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return ended ? { error: 'connection closed inside a chunked body' } : { done: false };
      const sizeText = buf.subarray(at, lineEnd).toString('latin1');
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return { error: `bad chunk size line ${JSON.stringify(sizeText.slice(0, 40))}` };
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        if (buf.length < lineEnd + 4) return ended ? { error: 'connection closed before the last chunk ended' } : { done: false };
        if (buf.subarray(lineEnd + 2, lineEnd + 4).toString('latin1') !== '\r\n') return { error: 'trailers or garbage after the last chunk' };
        return { done: true, response: response(Buffer.concat(parts)), rest: buf.subarray(lineEnd + 4) };
      }
      if (buf.length < lineEnd + 2 + size + 2) return ended ? { error: 'connection closed inside a chunk' } : { done: false };
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      if (buf.subarray(lineEnd + 2 + size, lineEnd + 4 + size).toString('latin1') !== '\r\n') return { error: 'chunk not followed by CRLF' };
      at = lineEnd + 4 + size;
    }
  }
  if (lengths.length > 0) {
    if (new Set(lengths).size > 1 || !/^[0-9]+$/.test(lengths[0]!)) return { error: `bad Content-Length ${JSON.stringify(lengths)}` };
    const n = Number(lengths[0]);
    if (buf.length < at + n) return ended ? { error: `connection closed after ${buf.length - at} of ${n} body bytes` } : { done: false };
    return { done: true, response: response(buf.subarray(at, at + n)), rest: buf.subarray(at + n) };
  }
  return ended ? { done: true, response: response(buf.subarray(at), true), rest: Buffer.alloc(0) } : { done: false };
}

/** Parse every complete response in `buf` (an answer and whatever followed it on the connection). */
function parseAll(buf: Buffer, headRequest: boolean, ended: boolean): { responses: ParsedResponse[]; error?: string; pending: boolean } {
  const responses: ParsedResponse[] = [];
  let rest = buf;
  while (rest.length > 0) {
    const p = parseResponse(rest, headRequest, ended);
    if ('error' in p) {
      const headBody = headRequest && responses.length > 0 && !rest.subarray(0, 5).equals(Buffer.from('HTTP/'));
      return { responses, error: headBody ? `the answer to HEAD carries a body (${rest.length} bytes after the head)` : p.error, pending: false };
    }
    if (!p.done) return { responses, pending: true };
    // Interim answers (100 Continue to an `expect` header) precede the real one.
    if (p.response.status < 200 && p.response.status !== 101) {
      rest = p.rest;
      continue;
    }
    responses.push(p.response);
    rest = p.rest;
  }
  return { responses, pending: false };
}

export interface SendOptions {
  port: number;
  host?: string;
  /** The request as sent, as one or more writes (a body split in pieces exercises the server's body reader). */
  pieces: Buffer[];
  headRequest: boolean;
  abort: AbortPlan;
  timeoutMs: number;
}

/** Send one request on a fresh connection and collect what comes back. Never rejects. */
export function send(opts: SendOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = connect({ host: opts.host ?? '127.0.0.1', port: opts.port });
    sock.setNoDelay(true);
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (x: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(x);
    };
    const got = () => Buffer.concat(chunks);
    const timer = setTimeout(() => finish({ kind: 'timeout', partial: got() }), opts.timeoutMs);
    const evaluate = (ended: boolean) => {
      const buf = got();
      if (buf.length === 0) return ended ? finish({ kind: 'closed' }) : undefined;
      const all = parseAll(buf, opts.headRequest, ended);
      if (all.error) return finish({ kind: 'malformed', reason: all.error, raw: buf });
      // Answered once the first response is complete; responses already buffered behind it are checked too.
      if (all.responses.length > 0) return finish({ kind: 'answered', response: all.responses[0]!, extra: all.responses.slice(1) });
      // Only interim answers (100 Continue) and then the close: the server said nothing final, as with no bytes.
      if (ended) finish(all.pending ? { kind: 'malformed', reason: 'connection closed inside a response', raw: buf } : { kind: 'closed' });
    };
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      if (opts.abort.at === 'response-byte' && received >= opts.abort.byte) {
        const all = parseAll(got(), opts.headRequest, false);
        if (all.error) return finish({ kind: 'malformed', reason: all.error, raw: got() });
        return finish(all.responses.length > 0 ? { kind: 'answered', response: all.responses[0]!, extra: all.responses.slice(1) } : { kind: 'aborted', partial: got() });
      }
      evaluate(false);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => evaluate(true));
    sock.on('connect', () => {
      const abort = opts.abort;
      let budget = abort.at === 'request-byte' ? abort.byte : Infinity;
      for (const piece of opts.pieces) {
        if (settled) return;
        if (piece.length >= budget) {
          sock.write(piece.subarray(0, budget), () => finish({ kind: 'aborted', partial: got() }));
          return;
        }
        budget -= piece.length;
        sock.write(piece);
      }
      if (abort.at === 'after-send') setTimeout(() => finish({ kind: 'aborted', partial: got() }), abort.ms);
    });
  });
}
