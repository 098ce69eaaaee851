/**
 * The text a stream generated, kept in case the upstream never reports usage (servers that ignore
 * `stream_options.include_usage`, or a stream cut short): then the completion tokens are counted from it.
 * Only the JSON string values of `"content"` and `"arguments"` (tool-call argument deltas) are kept, bounded;
 * nothing is parsed unless the text is needed.
 */
const MARKERS = [Buffer.from('"content":"'), Buffer.from('"arguments":"')];
/** Characters kept at most (about 250k tokens): beyond it the count is a lower bound. */
const MAX_CHARS = 1 << 20;

/** The end (index of the closing quote) of a JSON string whose body starts at `i`, or -1 if not in `buf`. */
function stringEnd(buf: Buffer, i: number): number {
  for (; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22 /* " */) return i;
  }
  return -1;
}

export class CompletionText {
  private readonly raw: string[] = [];
  private size = 0;
  private carry: Buffer | undefined;

  observe(chunk: Buffer): void {
    if (this.size >= MAX_CHARS) return;
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let from = 0;
    for (;;) {
      let at = -1;
      let len = 0;
      for (const m of MARKERS) {
        const i = buf.indexOf(m, from);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          len = m.length;
        }
      }
      if (at < 0) {
        // Keep a tail that might hold the start of a marker split between reads — unless the read ended an
        // event (SSE events end with a newline, which no marker contains): the usual case costs no copy.
        if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) {
          const tail = Math.max(from, buf.length - MARKERS[1]!.length);
          if (tail < buf.length) this.carry = Buffer.from(buf.subarray(tail));
        }
        return;
      }
      const start = at + len;
      const end = stringEnd(buf, start);
      if (end < 0) {
        this.carry = Buffer.from(buf.subarray(at));
        return;
      }
      if (end > start) {
        this.raw.push(buf.toString('utf8', start, end));
        this.size += end - start;
      }
      from = end + 1;
    }
  }

  /** The generated text, JSON escapes resolved. */
  text(): string {
    let out = '';
    for (const r of this.raw) {
      try {
        out += JSON.parse(`"${r}"`) as string;
      } catch {
        out += r;
      }
    }
    return out;
  }
}
