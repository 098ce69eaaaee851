/**
 * What a media request used (from the upstream's answer) and the worst case admission reserves before it is
 * sent. Audio is priced per second, speech per character, images per image (see pricing/prices.json); models
 * that report tokens (gpt-4o-transcribe, gpt-image-1) are priced on those tokens as well.
 */
import type { Usage } from '../../providers/adapter.js';
import { usageFromJson } from '../../providers/openai/usage.js';

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

/**
 * Usage of a transcription or translation answer: seconds from the `usage` of type `duration` or from
 * verbose_json's `duration`, tokens from a `usage` of type `tokens`; SRT/VTT answers from their last cue. A
 * `text` answer says nothing: it is recorded with no seconds (see the README).
 */
export function transcriptionUsage(body: Buffer, contentType: string): Usage {
  const u = empty();
  if (/json/i.test(contentType)) {
    try {
      const j = JSON.parse(body.toString('utf8')) as { duration?: unknown; usage?: { type?: string; seconds?: unknown } };
      const seconds = typeof j.usage?.seconds === 'number' ? j.usage.seconds : typeof j.duration === 'number' ? j.duration : undefined;
      if (seconds !== undefined && seconds >= 0) u.audioSeconds = seconds;
    } catch {
      return u;
    }
    const tokens = j2usage(body);
    if (tokens) Object.assign(u, { promptTokens: tokens.promptTokens, completionTokens: tokens.completionTokens, totalTokens: tokens.totalTokens });
    return u;
  }
  const end = lastCueEnd(body.toString('utf8'));
  if (end !== undefined) u.audioSeconds = end;
  return u;
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
