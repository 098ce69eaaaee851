/**
 * Removes the usage-only chunk (`"choices":[]` with `"usage":{…}`) from an OpenAI SSE stream. The gateway asks
 * every upstream for usage (it settles limits and spend with it) but a client that did not ask for
 * `stream_options.include_usage` must not receive that extra chunk. Events are passed on whole: bytes after
 * the last event boundary wait for the rest of their event (a client cannot use half an event anyway).
 */
const BOUNDARY = Buffer.from('\n\n');
const USAGE = Buffer.from('"usage":{');
const EMPTY_CHOICES = Buffer.from('"choices":[]');

export class UsageChunkFilter {
  private held: Buffer | undefined;

  push(chunk: Buffer | string): Buffer {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.held) {
      buf = Buffer.concat([this.held, buf]);
      this.held = undefined;
    }
    const end = buf.lastIndexOf(BOUNDARY);
    if (end < 0) {
      this.held = buf;
      return Buffer.alloc(0);
    }
    const complete = end + 2;
    if (complete < buf.length) this.held = Buffer.from(buf.subarray(complete));
    const events = complete < buf.length ? buf.subarray(0, complete) : buf;
    return events.indexOf(USAGE) < 0 ? events : dropUsageEvents(events);
  }

  end(tail: Buffer | string): Buffer {
    const out = this.push(tail);
    const rest = this.held;
    this.held = undefined;
    return rest ? Buffer.concat([out, rest]) : out;
  }
}

function dropUsageEvents(events: Buffer): Buffer {
  const kept: Buffer[] = [];
  let start = 0;
  while (start < events.length) {
    const b = events.indexOf(BOUNDARY, start);
    const stop = b < 0 ? events.length : b + 2;
    const ev = events.subarray(start, stop);
    if (!(ev.indexOf(USAGE) >= 0 && ev.indexOf(EMPTY_CHOICES) >= 0)) kept.push(ev);
    start = stop;
  }
  return kept.length === 1 ? kept[0]! : Buffer.concat(kept);
}
