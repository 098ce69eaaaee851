/**
 * Removes the usage-only chunk (`"choices":[]` with `"usage":{…}`) from an OpenAI SSE stream. The gateway asks
 * every upstream for usage (it settles limits and spend with it) but a client that did not ask for
 * `stream_options.include_usage` must not receive that extra chunk. Events are passed on whole: bytes after
 * the last event boundary wait for the rest of their event (a client cannot use half an event anyway).
 *
 * Boundaries are a blank line in any of SSE's line endings (`\n\n`, `\r\n\r\n`, `\r\r`). Held bytes are kept as
 * a list of chunks and joined once, when a boundary arrives: a long event in many small chunks costs linear,
 * not quadratic, copying. An "event" past MAX_HELD bytes without a boundary is passed on as it is.
 */
const USAGE = Buffer.from('"usage":{');
const EMPTY_CHOICES = Buffer.from('"choices":[]');
const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;
const MAX_HELD = 8 * 1024 * 1024;

/** End (exclusive) of the boundary that ends at or before `i`'s line break, scanning backwards; -1 if none. */
function lastBoundaryEnd(buf: Buffer, from: number): number {
  for (let i = buf.length - 1; i >= from + 1; i--) {
    const c = buf[i]!;
    if (c === LF && buf[i - 1] === LF) return i + 1;
    if (c === LF && buf[i - 1] === CR && i >= 3 && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
    // `\r\r`, unless it is the start of a `\r\n` pair split across the buffer end or followed by `\n`
    if (c === CR && buf[i - 1] === CR && buf[i + 1] !== LF && i + 1 < buf.length) return i + 1;
  }
  return -1;
}

/** End (exclusive) of the first boundary at or after `start`; the buffer's length when there is none. */
function nextBoundaryEnd(buf: Buffer, start: number): number {
  for (let i = start + 1; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === LF && buf[i - 1] === LF) return i + 1;
    if (c === LF && buf[i - 1] === CR && i >= start + 3 && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
    if (c === CR && buf[i - 1] === CR && buf[i + 1] !== LF) return i + 1;
  }
  return buf.length;
}

export class UsageChunkFilter {
  private held: Buffer[] = [];
  private heldBytes = 0;

  push(chunk: Buffer | string): Buffer {
    const incoming = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (incoming.length === 0) return EMPTY;
    // A boundary may straddle the join: search the new bytes plus the last 3 held ones.
    const lookBack = Math.min(3, this.heldBytes);
    let buf = incoming;
    if (this.heldBytes > 0) {
      const tail = this.held[this.held.length - 1]!;
      const end = lastBoundaryEnd(lookBack > 0 && tail.length >= lookBack ? Buffer.concat([tail.subarray(tail.length - lookBack), incoming]) : incoming, 0);
      if (end < 0) return this.hold(incoming);
      buf = Buffer.concat([...this.held, incoming], this.heldBytes + incoming.length);
      this.held = [];
      this.heldBytes = 0;
    }
    const end = lastBoundaryEnd(buf, 0);
    if (end < 0) return this.hold(buf);
    if (end < buf.length) this.hold(Buffer.from(buf.subarray(end)));
    const events = end < buf.length ? buf.subarray(0, end) : buf;
    return events.indexOf(USAGE) < 0 ? events : dropUsageEvents(events);
  }

  end(tail: Buffer | string): Buffer {
    const out = this.push(tail);
    if (this.heldBytes === 0) return out;
    const rest = Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    return out.length ? Buffer.concat([out, rest]) : rest;
  }

  private hold(b: Buffer): Buffer {
    this.held.push(b);
    this.heldBytes += b.length;
    if (this.heldBytes <= MAX_HELD) return EMPTY;
    // Not SSE as we know it: stop holding and pass the bytes on.
    const out = Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    return out;
  }
}

function dropUsageEvents(events: Buffer): Buffer {
  const kept: Buffer[] = [];
  let start = 0;
  while (start < events.length) {
    const stop = nextBoundaryEnd(events, start);
    const ev = events.subarray(start, stop);
    if (!(ev.indexOf(USAGE) >= 0 && ev.indexOf(EMPTY_CHOICES) >= 0)) kept.push(ev);
    start = stop;
  }
  return kept.length === 1 ? kept[0]! : Buffer.concat(kept);
}
