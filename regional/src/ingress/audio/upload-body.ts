/**
 * The request body of a streamed upload as undici reads it: the client's chunks are pushed as they arrive, and
 * the client's socket is paused while undici has not taken what it has (backpressure end to end), so an upload
 * is never held whole in memory.
 */
import { Readable } from 'node:stream';

/** What the upload needs from the transport. */
export interface BodySource {
  pauseBody(): void;
  resumeBody(): void;
}

export class UploadBody extends Readable {
  constructor(private readonly source: BodySource) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _read(): void {
    this.source.resumeBody();
  }

  /** The next chunk from the client (`last`: the body is complete). */
  feed(chunk: Buffer, last: boolean): void {
    if (this.destroyed) return;
    const more = chunk.length === 0 ? true : this.push(chunk);
    if (last) this.push(null);
    else if (!more) this.source.pauseBody();
  }
}
