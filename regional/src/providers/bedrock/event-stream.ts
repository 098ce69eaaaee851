/**
 * AWS event-stream framing (application/vnd.amazon.eventstream): each message is
 * [total length u32][headers length u32][prelude CRC][headers][payload][message CRC]. Frames may be split
 * across or share TCP chunks; this splits them and lets the Smithy codec decode and CRC-check each one.
 */
import { createRequire } from 'node:module';
import type { EventStreamCodec, Message } from '@smithy/eventstream-codec';

const toUtf8 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
const fromUtf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

const require = createRequire(import.meta.url);
let codec: EventStreamCodec | undefined;

/** The codec, loaded with the first Bedrock stream: a gateway without Bedrock deployments never needs it. */
export function eventStreamCodec(): EventStreamCodec {
  codec ??= new (require('@smithy/eventstream-codec') as typeof import('@smithy/eventstream-codec')).EventStreamCodec(toUtf8, fromUtf8);
  return codec;
}

/** Largest frame accepted (the AWS limit is 16 MB); a corrupt length must not make us buffer forever. */
const MAX_FRAME = 16 * 1024 * 1024;

export interface DecodedEvent {
  /** `:message-type`: `event`, `exception` or `error`. */
  messageType: string;
  /** `:event-type` or `:exception-type` (or `:error-code`). */
  type: string;
  payload: Buffer;
  headers: Message['headers'];
}

export class EventStreamSplitter {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): DecodedEvent[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: DecodedEvent[] = [];
    while (this.buf.length >= 4) {
      const total = this.buf.readUInt32BE(0);
      if (total < 16 || total > MAX_FRAME) throw new Error(`event-stream frame length ${total} is invalid`);
      if (this.buf.length < total) break;
      const msg = eventStreamCodec().decode(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
      const h = (name: string): string => {
        const v = msg.headers[name];
        return v && typeof v.value === 'string' ? v.value : '';
      };
      const messageType = h(':message-type') || 'event';
      const type = messageType === 'event' ? h(':event-type') : messageType === 'exception' ? h(':exception-type') : h(':error-code');
      out.push({ messageType, type, payload: Buffer.from(msg.body.buffer, msg.body.byteOffset, msg.body.byteLength), headers: msg.headers });
    }
    return out;
  }

  /** Bytes left over at the end of the stream (a truncated frame). */
  get pending(): number {
    return this.buf.length;
  }
}

/** Encode one event frame (used by tests to build recorded transcripts into wire bytes). */
export function encodeEvent(messageType: 'event' | 'exception', type: string, payload: unknown): Buffer {
  const typeHeader = messageType === 'event' ? ':event-type' : ':exception-type';
  const bytes = eventStreamCodec().encode({
    headers: {
      ':message-type': { type: 'string', value: messageType },
      [typeHeader]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
