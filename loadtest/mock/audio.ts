/**
 * The media endpoints that are not JSON both ways, deterministic: POST /v1/audio/transcriptions and
 * /translations (multipart; the "transcript" describes the upload, its duration is a WAV file's own or
 * 16,000 bytes a second otherwise, usage `{type:'duration', seconds}` as whisper-1 answers), /v1/audio/speech
 * (JSON in; `64 + 32 × characters` bytes of fake audio back, in pieces) and /v1/images/edits (multipart with
 * image(s) and an optional mask; answers like images/generations).
 */
import busboy from 'busboy';
import { MockHttpError } from './errors.js';
import { imagesJson } from './media.js';
import type { Json } from './validate.js';

export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface Multipart {
  fields: Record<string, string>;
  files: UploadedFile[];
}

/** Parse a whole multipart body (the mock holds bodies; the gateway never does). */
export function parseMultipart(raw: Buffer, contentType: string | undefined): Promise<Multipart> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: { 'content-type': contentType ?? '' } });
    } catch (err) {
      return reject(new MockHttpError(400, `expected multipart/form-data: ${(err as Error).message}`));
    }
    const out: Multipart = { fields: {}, files: [] };
    bb.on('field', (name, value) => (out.fields[name] = value));
    bb.on('file', (field, stream, info) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => out.files.push({ field, filename: info.filename ?? '', contentType: info.mimeType, bytes: Buffer.concat(parts) }));
    });
    bb.on('error', (err: Error) => reject(new MockHttpError(400, `malformed multipart body: ${err.message}`)));
    bb.on('close', () => resolve(out));
    bb.end(raw);
  });
}

/** A WAV file's duration from its header (`fmt ` byte rate and `data` size), else 16,000 bytes a second. */
export function audioSeconds(bytes: Buffer): number {
  if (bytes.length >= 44 && bytes.toString('ascii', 0, 4) === 'RIFF' && bytes.toString('ascii', 8, 12) === 'WAVE') {
    let at = 12;
    let byteRate = 0;
    while (at + 8 <= bytes.length) {
      const id = bytes.toString('ascii', at, at + 4);
      const size = bytes.readUInt32LE(at + 4);
      if (id === 'fmt ' && at + 16 <= bytes.length) byteRate = bytes.readUInt32LE(at + 16);
      if (id === 'data' && byteRate > 0) return Math.min(size, bytes.length - at - 8) / byteRate;
      at += 8 + size + (size % 2);
    }
  }
  return bytes.length / 16000;
}

function cueTime(s: number, sep: string): string {
  const ms = Math.round(s * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)}${sep}${p(ms % 1000, 3)}`;
}

export interface MockAnswer {
  contentType: string;
  body: string | Buffer;
}

/** Transcriptions and translations: the answer in the asked `response_format`. */
export function transcriptionAnswer(m: Multipart, task: 'transcribe' | 'translate'): MockAnswer {
  const file = m.files.find((f) => f.field === 'file');
  if (!file) throw new MockHttpError(400, "Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
  if (!m.fields.model) throw new MockHttpError(400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  const duration = Math.round(audioSeconds(file.bytes) * 1000) / 1000;
  const text = `${task === 'translate' ? 'Translated' : 'Transcribed'} ${file.bytes.length} bytes of ${file.filename || 'audio'}.`;
  const usage = { type: 'duration', seconds: Math.ceil(duration) };
  switch (m.fields.response_format ?? 'json') {
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', body: text + '\n' };
    case 'srt':
      return { contentType: 'text/plain; charset=utf-8', body: `1\n${cueTime(0, ',')} --> ${cueTime(duration, ',')}\n${text}\n\n` };
    case 'vtt':
      return { contentType: 'text/vtt; charset=utf-8', body: `WEBVTT\n\n${cueTime(0, '.')} --> ${cueTime(duration, '.')}\n${text}\n\n` };
    case 'verbose_json':
      return {
        contentType: 'application/json',
        body: JSON.stringify({ task, language: 'english', duration, text, segments: [{ id: 0, seek: 0, start: 0, end: duration, text }], usage }),
      };
    case 'json':
      return { contentType: 'application/json', body: JSON.stringify({ text, usage }) };
    default:
      throw new MockHttpError(400, `Invalid response_format '${m.fields.response_format}'.`, 'response_format');
  }
}

const AUDIO_TYPES: Record<string, string> = { mp3: 'audio/mpeg', opus: 'audio/opus', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };

/** Speech: `64 + 32 × characters` deterministic bytes (a function of the input), as the asked format's type. */
export function speechAnswer(body: Json): MockAnswer {
  if (typeof body.input !== 'string') throw new MockHttpError(400, "Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof body.voice !== 'string') throw new MockHttpError(400, "Missing required parameter: 'voice'.", 'voice', 'missing_required_parameter');
  const format = typeof body.response_format === 'string' ? body.response_format : 'mp3';
  const type = AUDIO_TYPES[format];
  if (!type) throw new MockHttpError(400, `Invalid response_format '${format}'.`, 'response_format');
  return { contentType: type, body: speechBytes(body.input) };
}

export function speechBytes(input: string): Buffer {
  const out = Buffer.alloc(64 + 32 * input.length);
  out.write('MOCKAUDIO', 0, 'ascii');
  for (let i = 9; i < out.length; i++) out[i] = (input.charCodeAt(i % input.length || 0) + i) & 0xff;
  return out;
}

/** Image edits: at least one image; answered like a generation of `n` images. */
export function imageEditAnswer(m: Multipart): MockAnswer {
  const images = m.files.filter((f) => f.field === 'image' || f.field === 'image[]');
  if (images.length === 0) throw new MockHttpError(400, "Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
  const f = m.fields;
  const body: Json = { prompt: f.prompt, model: f.model ?? 'dall-e-2' };
  if (f.n) body.n = Number(f.n);
  if (f.response_format) body.response_format = f.response_format;
  return { contentType: 'application/json', body: imagesJson(body) };
}
