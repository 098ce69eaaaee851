/**
 * Reads the small text parts of a multipart upload as its bytes stream past (busboy, fed chunk by chunk), so
 * the gateway learns `model` (which decides the deployment) and the fields that price the request (`n`,
 * `size`, `quality`, `response_format`) without holding the files: file parts are drained as they are parsed
 * (the audio `file` through a copy to its duration meter, audio-meter.ts).
 * The bytes themselves go on to the upstream untouched (see media-request.ts).
 */
import busboy from 'busboy';
import { InvalidRequest } from '../../errors/catalogue.js';
import { AudioMeter } from './audio-meter.js';

/** Text fields larger than this are not kept (prompts of image edits are at most 32,000 characters). */
const FIELD_BYTES = 128 * 1024;
/** Larger than any chunk the transport hands over, so the parser never waits for a drained file stream. */
const FILE_HWM = 64 * 1024 * 1024;

export interface MultipartFieldsEvents {
  /** A text field arrived (in body order). */
  field(name: string, value: string): void;
  /** The multipart framing is broken (before the upstream has the body, this refuses the request). */
  malformed(err: InvalidRequest): void;
}

export class MultipartFields {
  readonly fields: Record<string, string> = {};
  /** File parts seen so far (images of an edit, the audio file). */
  files = 0;
  /** The duration of the audio: the first part named `file` (transcriptions, translations), as it passes. */
  audio: AudioMeter | undefined;
  private readonly parser: busboy.Busboy | undefined;
  private broken = false;

  constructor(contentType: string, events: MultipartFieldsEvents) {
    try {
      // fileHwm: a file stream that pushed past its high-water mark stalls the parser until the next tick, and
      // the fields after it would be parsed late; drained files hold at most one chunk until then.
      this.parser = busboy({ headers: { 'content-type': contentType }, fileHwm: FILE_HWM, limits: { fieldSize: FIELD_BYTES, fields: 64, parts: 128 } });
    } catch (err) {
      this.broken = true;
      throw new InvalidRequest(`This endpoint takes multipart/form-data: ${(err as Error).message}`, null, 'invalid_content_type');
    }
    this.parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return;
      this.fields[name] = value;
      events.field(name, value);
    });
    this.parser.on('file', (name, stream, info) => {
      this.files++;
      if (name === 'file' && !this.audio) {
        const meter = (this.audio = new AudioMeter(info.mimeType));
        stream.on('data', (d: Buffer) => meter.write(d));
        stream.on('end', () => meter.end());
      }
      stream.resume();
    });
    this.parser.on('error', (err: Error) => {
      if (this.broken) return;
      this.broken = true;
      events.malformed(new InvalidRequest(`The multipart body could not be parsed: ${err.message}`, null, 'invalid_multipart'));
    });
  }

  /** The boundary of a multipart/form-data content type, or undefined. */
  static boundaryOf(contentType: string): string | undefined {
    const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
    return m ? (m[1] ?? m[2]) : undefined;
  }

  /** The request is over: stop measuring. */
  stop(): void {
    this.audio?.stop();
  }

  /** Feed the next body bytes; never throws (a parse error is reported through `malformed`). */
  push(chunk: Buffer, isLast: boolean): void {
    if (this.broken || !this.parser) return;
    try {
      this.parser.write(chunk);
      if (isLast) this.parser.end();
    } catch (err) {
      this.broken = true;
      this.parser.emit('error', err);
    }
  }
}

/**
 * Replace the value of the `model` part in the leading bytes of a multipart body (the upstream knows the model
 * by another name). Returns undefined when the part is not found whole in `head` with the expected value.
 */
export function rewriteModelPart(head: Buffer, boundary: string, from: string, to: string): Buffer | undefined {
  const name = head.indexOf('name="model"');
  if (name < 0) return undefined;
  const start = head.indexOf('\r\n\r\n', name);
  if (start < 0) return undefined;
  const valueStart = start + 4;
  const end = head.indexOf(`\r\n--${boundary}`, valueStart);
  if (end < 0 || head.toString('utf8', valueStart, end) !== from) return undefined;
  return Buffer.concat([head.subarray(0, valueStart), Buffer.from(to, 'utf8'), head.subarray(end)]);
}
