/**
 * What a media request used (from the upstream's answer; for audio, else from the upload, see
 * transcriptionBill) and the worst case admission reserves before it is sent. Audio is priced per second, speech per character, images per image (see pricing/prices.json); models
 * that report tokens (gpt-4o-transcribe, gpt-image-1) are priced on those tokens as well.
 */
import type { Usage } from '../../providers/adapter.js';
import { usageFromJson } from '../../providers/openai/usage.js';
import type { AudioMeasure } from './audio-meter.js';

export type MediaOp = 'transcriptions' | 'translations' | 'image_edits' | 'speech';

/**
 * Bytes per second of the most compressed audio an upload is assumed to hold when its duration is bounded from
 * its size (16 kbit/s, below common speech encodings): a 25 MB cap bounds a request to about 3.5 hours.
 */
export const AUDIO_BYTES_PER_SECOND_FLOOR = 2000;
/** The most images an edit can ask for (OpenAI's `n` maximum). */
export const MAX_IMAGES = 10;
/** Output tokens of the largest, highest-quality gpt-image-1 image (1536×1024, high). */
export const MAX_IMAGE_OUTPUT_TOKENS = 6240;

const empty = (): Usage => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });

/** The variant key of an image edit's price: `<quality>/<size>`, `<size>`, `<quality>`, or undefined. */
export function imageVariant(fields: Readonly<Record<string, string | undefined>>): string | undefined {
  const size = fields.size && fields.size !== 'auto' ? fields.size : undefined;
  const quality = fields.quality && fields.quality !== 'auto' ? fields.quality : undefined;
  if (size && quality) return `${quality}/${size}`;
  return size ?? quality;
}

/**
 * The most a request can use, for the reservation: audio seconds from the upload's size (declared, else the
 * cap) at AUDIO_BYTES_PER_SECOND_FLOOR; speech characters exactly; images `n` (MAX_IMAGES when not yet known)
 * at the priciest variant unless size and quality are known, plus gpt-image output tokens for each.
 */
export function worstCaseUsage(op: MediaOp, a: { uploadBytes?: number; characters?: number; fields?: Readonly<Record<string, string | undefined>> }): Usage {
  const u = empty();
  if (op === 'transcriptions' || op === 'translations') u.audioSeconds = Math.ceil((a.uploadBytes ?? 0) / AUDIO_BYTES_PER_SECOND_FLOOR);
  else if (op === 'speech') u.characters = a.characters ?? 0;
  else {
    const n = Number(a.fields?.n);
    u.images = Number.isInteger(n) && n > 0 ? Math.min(n, MAX_IMAGES) : MAX_IMAGES;
    const variant = a.fields ? imageVariant(a.fields) : undefined;
    if (variant && a.fields?.size && a.fields?.quality) u.imageVariant = variant;
    u.promptTokens = (a.fields?.prompt?.length ?? 0) + 1;
    u.completionTokens = u.images * MAX_IMAGE_OUTPUT_TOKENS;
    u.totalTokens = u.promptTokens + u.completionTokens;
  }
  return u;
}

/** `00:01:02,500` or `00:01:02.500` → seconds. */
function timestamp(h: string, m: string, s: string, ms: string): number {
  return Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(ms) / 1000;
}

/** The end of the last cue of an SRT or WebVTT transcript: the audio lasted at least that long. */
export function lastCueEnd(text: string): number | undefined {
  const re = /-->\s*(?:(\d+):)?(\d{2}):(\d{2})[,.](\d{3})/g;
  let last: number | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) last = timestamp(m[1] ?? '0', m[2]!, m[3]!, m[4]!);
  return last;
}

/** What a transcription answer says about the audio: the upstream's seconds, an SRT/VTT last cue, tokens. */
interface AnswerFigures {
  /** `usage` of type `duration`, else verbose_json's `duration`: what the provider bills. */
  seconds?: number;
  /** The end of the last SRT/WebVTT cue: the audio lasted at least that long (trailing silence has no cue). */
  cueEnd?: number;
  /** A `usage` of type `tokens` (gpt-4o-transcribe): the model is priced on those. */
  tokens?: Usage;
}

function answerFigures(body: Buffer, contentType: string): AnswerFigures {
  if (/json/i.test(contentType)) {
    const out: AnswerFigures = {};
    try {
      const j = JSON.parse(body.toString('utf8')) as { duration?: unknown; usage?: { type?: string; seconds?: unknown } };
      const seconds = typeof j.usage?.seconds === 'number' ? j.usage.seconds : typeof j.duration === 'number' ? j.duration : undefined;
      if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) out.seconds = seconds;
    } catch {
      return out;
    }
    const tokens = j2usage(body);
    if (tokens) out.tokens = tokens;
    return out;
  }
  const end = lastCueEnd(body.toString('utf8'));
  return end === undefined ? {} : { cueEnd: end };
}

/** Where the billed seconds of a transcription come from (logged with each one, see audio-bill.ts). */
export type AudioSecondsSource = 'upstream' | 'tokens' | 'measured' | 'size_bound';

export interface TranscriptionBill {
  usage: Usage;
  source: AudioSecondsSource;
}

/**
 * Usage of a transcription or translation answer. The upstream's own figure wins (`usage` of type duration or
 * verbose_json's `duration`: what the provider bills; a `usage` of type tokens: priced on tokens); otherwise
 * the duration measured from the upload (`measure`, see audio-meter.ts), at least the last SRT/VTT cue;
 * otherwise (a file the meter could not read) the size bound the reservation used: `uploadBytes` at
 * AUDIO_BYTES_PER_SECOND_FLOOR. Never 0 seconds for a file the upstream took, unless it said so.
 */
export function transcriptionBill(body: Buffer, contentType: string, measure?: AudioMeasure, uploadBytes = 0): TranscriptionBill {
  const a = answerFigures(body, contentType);
  const u = empty();
  if (a.tokens) Object.assign(u, { promptTokens: a.tokens.promptTokens, completionTokens: a.tokens.completionTokens, totalTokens: a.tokens.totalTokens });
  if (a.seconds !== undefined) {
    u.audioSeconds = a.seconds;
    return { usage: u, source: 'upstream' };
  }
  if (a.tokens) return { usage: u, source: 'tokens' };
  if (measure?.seconds !== undefined) {
    u.audioSeconds = Math.max(measure.seconds, a.cueEnd ?? 0);
    return { usage: u, source: 'measured' };
  }
  const bytes = measure && measure.bytes > 0 ? measure.bytes : uploadBytes;
  u.audioSeconds = Math.max(worstCaseUsage('transcriptions', { uploadBytes: bytes }).audioSeconds ?? 0, a.cueEnd ?? 0);
  return { usage: u, source: 'size_bound' };
}

/** The usage of a transcription answer (see transcriptionBill). */
export function transcriptionUsage(body: Buffer, contentType: string, measure?: AudioMeasure, uploadBytes = 0): Usage {
  return transcriptionBill(body, contentType, measure, uploadBytes).usage;
}

function j2usage(body: Buffer): Usage | undefined {
  const u = usageFromJson(body);
  return u && (u.promptTokens > 0 || u.completionTokens > 0) ? u : undefined;
}

/** Usage of an image edit: the images returned (priced per image) and any token usage (gpt-image models). */
export function imageEditUsage(body: Buffer, fields: Readonly<Record<string, string | undefined>>): Usage {
  const u = j2usage(body) ?? empty();
  try {
    const j = JSON.parse(body.toString('utf8')) as { data?: unknown[]; size?: string; quality?: string };
    u.images = Array.isArray(j.data) ? j.data.length : 0;
    // gpt-image answers say which size and quality they chose when the request said `auto`.
    const variant = imageVariant({ size: fields.size && fields.size !== 'auto' ? fields.size : j.size, quality: fields.quality && fields.quality !== 'auto' ? fields.quality : j.quality });
    if (variant) u.imageVariant = variant;
  } catch {
    /* not JSON: no images counted */
  }
  return u;
}
