/**
 * The log destination: lines appended to one string and written to the file descriptor in chunks of 64 KB (at
 * most one write in flight), plus a flush at least every second. Measured with the access log's line shape:
 * pino into this costs about 3 µs of CPU per line, pino into its own sonic-boom destination about 6 µs (the
 * sonic-boom `fs.write` of small chunks was 7 % of the gateway's CPU profile under load).
 *
 * Never blocks and never throws into the request path: a full non-blocking pipe (EAGAIN) is retried later;
 * past `maxBufferedBytes` new lines are dropped and counted (a log must not take the process's memory).
 */
import { write, writeSync } from 'node:fs';

export interface LineBufferOptions {
  /** Write when this much is buffered. @default 65536 */
  chunkBytes?: number;
  /** Drop lines beyond this much unwritten text. @default 16 MiB */
  maxBufferedBytes?: number;
}

export class LineBuffer {
  #buf = '';
  #writing = false;
  #dropped = 0;
  readonly #fd: number;
  readonly #chunk: number;
  readonly #max: number;

  constructor(fd: number, opts: LineBufferOptions = {}) {
    this.#fd = fd;
    this.#chunk = opts.chunkBytes ?? 65_536;
    this.#max = opts.maxBufferedBytes ?? 16 * 1024 * 1024;
  }

  /** Lines dropped because the destination did not keep up. */
  get dropped(): number {
    return this.#dropped;
  }

  /** pino calls this once per line. */
  write(line: string): boolean {
    if (this.#buf.length > this.#max) {
      this.#dropped++;
      return true;
    }
    this.#buf += line;
    if (this.#buf.length >= this.#chunk) this.flush();
    return true;
  }

  /** Starts writing what is buffered (asynchronously), unless a write is already in flight. */
  flush(): void {
    if (this.#writing || this.#buf.length === 0) return;
    this.#writing = true;
    const text = this.#buf;
    this.#buf = '';
    write(this.#fd, text, null, 'utf8', (err, written) => {
      this.#writing = false;
      if (err) {
        // EAGAIN (pipe full): put the text back and try again shortly; other errors lose this chunk.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.#buf = text + this.#buf;
          setTimeout(() => this.flush(), 10).unref();
        }
        return;
      }
      const bytes = Buffer.byteLength(text);
      if (written < bytes) this.#buf = Buffer.from(text).subarray(written).toString('utf8') + this.#buf;
      if (this.#buf.length >= this.#chunk) this.flush();
    });
  }

  /** Writes everything now (shutdown). */
  flushSync(): void {
    if (this.#buf.length === 0) return;
    const data = Buffer.from(this.#buf);
    this.#buf = '';
    let off = 0;
    for (let tries = 0; off < data.length && tries < 1000; tries++) {
      try {
        off += writeSync(this.#fd, data, off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      }
    }
  }
}
