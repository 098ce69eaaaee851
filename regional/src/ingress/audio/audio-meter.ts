/**
 * The duration of an uploaded audio file, measured while its bytes stream past on their way to the upstream
 * (music-metadata reads the container's own figures: WAV/AIFF headers, MP3 Xing/LAME tags or its frames, MP4
 * `mvhd`, FLAC STREAMINFO, Ogg/WebM). The upload is never held or slowed down for it: the meter gets a copy of
 * each chunk, and when it cannot keep up, takes too long or the file makes no sense, it gives up and says why
 * (the bill then falls back to the size bound, see media-usage.ts).
 *
 * Bounds, whatever the file: memory — at most MAX_LAG_BYTES waiting for the parser; CPU — the parser gets
 * SLICE_BYTES at a time, yields the event loop after TICK_MS, gives up on a slice slower than SLOW_SLICE_MS
 * (a file made to make the MPEG frame search crawl) and after PARSE_BUDGET_MS in all; errors — every parser
 * failure ends in `result()`, never in a throw or an unhandled rejection.
 */
import { Readable } from 'node:stream';
import { parseStream } from 'music-metadata';

/**
 * The fewest bytes a second of real audio takes: 4 kbit/s, below Opus's 6 kbit/s, the leanest codec these
 * endpoints take. A header claiming a longer duration than its bytes could hold at this rate is not believed.
 */
export const MIN_AUDIO_BYTES_PER_SECOND = 500;
/**
 * The most bytes a second of audio takes: lossy codecs at most 512 kbit/s (AAC's and Opus's top; MP3 stops at
 * 320), anything at most 32-bit 96 kHz stereo PCM. A header claiming a shorter duration than its bytes hold at
 * these rates is not believed either (a forged MP3 Xing tag would otherwise bill an hour as a second). Files
 * with a video track are exempt (their bytes are mostly picture).
 */
export const MAX_LOSSY_BYTES_PER_SECOND = 64_000;
export const MAX_AUDIO_BYTES_PER_SECOND = 768_000;
/** Bytes of a file that may be pictures and tags rather than audio (cover art), left out of that lower bound. */
export const METADATA_ALLOWANCE_BYTES = 1024 * 1024;
/** Bytes handed to the parser at a time. */
export const SLICE_BYTES = 2 * 1024;
/** Bytes that may wait for the parser; beyond that it has fallen behind the upload and the meter gives up. */
export const MAX_LAG_BYTES = 4 * 1024 * 1024;
/** Parser time in one turn of the event loop before the next slice waits for the next turn. */
const TICK_MS = 4;
/**
 * CPU time of one slice that marks a pathological file (bytes that all look like the start of an MPEG frame
 * make the frame search take ~80 µs a byte; a real MP3 takes ~0.1 µs a byte). CPU time, not the clock: a
 * loaded machine must not turn real files into "too slow".
 */
const SLOW_SLICE_MS = 40;
/** Parser CPU time for one upload, in all (a 24 MB constant-bitrate MP3 read frame by frame takes 1-2 s). */
const PARSE_BUDGET_MS = 4000;

/** CPU milliseconds of the process so far (user + system). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** What the meter knows: `seconds` once parsed (undefined: not measured, `reason` says why). */
export interface AudioMeasure {
  /** The measured duration, clamped to what the bytes can hold (see `plausibleSeconds`). */
  seconds: number | undefined;
  /** Bytes of the audio file seen (all of them once the upload ended). */
  bytes: number;
  /** Why there is no figure: `pending`, `unrecognised`, `no_duration`, `parse_error: …`, `too_slow`, `fell_behind`, `stopped`. */
  reason?: string;
}

export class AudioMeter {
  private readonly feed: Readable;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private bytes = 0;
  /** Bytes of leading ID3v2 tags, skipped (see skipTags). */
  private tagBytes = 0;
  private skip = 0;
  private head: Buffer | undefined;
  private headDone = false;
  private ended = false;
  private wanted = false;
  private sliceAt = 0;
  private tickMs = 0;
  private spentMs = 0;
  private scheduled = false;
  private outcome: Parsed | undefined;
  private readonly settled: Promise<void>;
  private onSettled!: () => void;

  constructor(mimeType: string | undefined) {
    this.settled = new Promise((resolve) => (this.onSettled = resolve));
    this.feed = new Readable({ highWaterMark: SLICE_BYTES, read: () => this.pull() });
    // The parser's promise always settles here (a destroyed feed rejects it); nothing escapes.
    parseStream(this.feed, mimeType && mimeType !== 'application/octet-stream' ? { mimeType } : undefined, { duration: true, skipCovers: true, skipPostHeaders: true }).then(
      (m) => {
        const f = m.format;
        this.settle(f.container ? { duration: f.duration, codec: f.codec, bitrate: f.bitrate, lossless: f.lossless, hasVideo: f.hasVideo } : { reason: 'unrecognised' });
      },
      (err: unknown) => this.settle({ reason: `parse_error: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200) }),
    );
  }

  /** A copy of the next bytes of the file (never throws, never blocks). */
  write(data: Buffer): void {
    this.bytes += data.length;
    if (this.outcome || this.ended) return;
    const chunk = this.skipTags(data);
    if (chunk.length === 0) return;
    if (this.queued + chunk.length > MAX_LAG_BYTES) return this.giveUp('fell_behind');
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.wanted) this.pull();
  }

  /**
   * Leading ID3v2 tags (10-byte header, syncsafe size) are not handed to the parser: it would buffer a tag whole
   * (a forged header declares up to 256 MiB) and a duration needs none of it. The bytes are counted apart.
   */
  private skipTags(chunk: Buffer): Buffer {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      this.tagBytes += n;
      chunk = chunk.subarray(n);
      if (this.skip > 0) return chunk;
      this.headDone = false; // another tag may follow
      if (chunk.length === 0) return chunk;
    }
    if (this.headDone) return chunk;
    const head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    this.head = undefined;
    if (head.length < 10) {
      this.head = head;
      return head.subarray(0, 0);
    }
    this.headDone = true;
    const size = id3v2Size(head);
    if (size === undefined) return head;
    this.skip = size;
    return this.skipTags(head);
  }

  /** The file's last byte went past. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.head) {
      // Fewer than 10 bytes in all: hand them over as they are.
      this.queue.push(this.head);
      this.queued += this.head.length;
      this.head = undefined;
    }
    if (this.wanted) this.pull();
  }

  /** The request is over: stop parsing (a figure already known is kept). */
  stop(): void {
    if (!this.outcome) this.giveUp('stopped');
  }

  /** Resolves once the parse is over (tests; the request reads `result()` when the upstream answered). */
  async done(): Promise<AudioMeasure> {
    await this.settled;
    return this.result();
  }

  /**
   * The measure now: a figure once the parse is over and the file's last byte went past (the bound on what
   * the bytes can hold needs all of them), else `reason` (`pending`: not yet).
   */
  result(): AudioMeasure {
    const o = this.outcome;
    if (!o || (!this.ended && o.reason === undefined)) return { seconds: undefined, bytes: this.bytes, reason: 'pending' };
    if (o.reason !== undefined) return { seconds: undefined, bytes: this.bytes, reason: o.reason };
    const seconds = plausibleSeconds(o, this.bytes, this.tagBytes);
    return seconds === undefined ? { seconds, bytes: this.bytes, reason: 'no_duration' } : { seconds, bytes: this.bytes };
  }

  /** The parser wants bytes: the next slice now, or on the next turn of the loop when this one is spent. */
  private pull(): void {
    if (this.sliceAt) {
      // The CPU time since the last slice was handed over is the parser's, on this turn (it runs in microtasks).
      const ms = cpuMs() - this.sliceAt;
      this.sliceAt = 0;
      this.tickMs += ms;
      this.spentMs += ms;
      if (ms > SLOW_SLICE_MS) return this.giveUp('too_slow');
      if (this.spentMs > PARSE_BUDGET_MS) return this.giveUp('too_slow');
    }
    if (this.outcome) return;
    if (this.tickMs > TICK_MS) {
      this.wanted = false;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.tickMs = 0;
          this.pull();
        });
      }
      return;
    }
    if (this.queued === 0) {
      this.wanted = !this.ended;
      if (this.ended) this.feed.push(null);
      return;
    }
    this.wanted = false;
    const slice = this.take();
    this.sliceAt = cpuMs();
    this.feed.push(slice);
  }

  private take(): Buffer {
    const head = this.queue[0]!;
    if (head.length <= SLICE_BYTES) {
      this.queue.shift();
      this.queued -= head.length;
      return head;
    }
    this.queue[0] = head.subarray(SLICE_BYTES);
    this.queued -= SLICE_BYTES;
    return head.subarray(0, SLICE_BYTES);
  }

  private giveUp(reason: string): void {
    this.settle({ reason });
  }

  private settle(o: Parsed): void {
    if (this.outcome) return;
    this.outcome = o;
    this.onSettled();
    // The parser may be done before the file is (an MP3's Xing tag, a FLAC header): the rest is only counted.
    this.queue.length = 0;
    this.queued = 0;
    if (!this.feed.destroyed) this.feed.destroy();
  }
}

/** What the parse ended with: the container's figures, or why there are none. */
type Parsed = ({ reason?: undefined } & ParsedFormat) | { reason: string };

/** The figures of the container that bound its duration. */
export interface ParsedFormat {
  duration: number | undefined;
  codec?: string | undefined;
  bitrate?: number | undefined;
  lossless?: boolean | undefined;
  hasVideo?: boolean | undefined;
}

/**
 * A parsed duration the bytes can hold: none for a non-finite or non-positive figure; for PCM, exactly the
 * bytes at its bit rate when that is less (a WAV header may declare more data than was sent, up to 4 GiB);
 * for any format, between what the bytes would last at MAX_…_BYTES_PER_SECOND and at MIN_AUDIO_BYTES_PER_SECOND
 * (a tag or header can claim any duration), the latter leaving out skipped ID3 tags and
 * METADATA_ALLOWANCE_BYTES (cover art is not audio).
 */
export function plausibleSeconds(f: ParsedFormat, bytes: number, tagBytes = 0): number | undefined {
  const d = f.duration;
  if (d === undefined || !Number.isFinite(d) || d <= 0) return undefined;
  let max = bytes / MIN_AUDIO_BYTES_PER_SECOND;
  if (f.codec && /^PCM/i.test(f.codec) && f.bitrate && f.bitrate > 0) max = Math.min(max, (bytes * 8) / f.bitrate);
  const audioBytes = Math.max(0, bytes - tagBytes - METADATA_ALLOWANCE_BYTES);
  const min = f.hasVideo ? 0 : audioBytes / (f.lossless === false ? MAX_LOSSY_BYTES_PER_SECOND : MAX_AUDIO_BYTES_PER_SECOND);
  return Math.min(Math.max(d, min), max);
}

/** The size of the ID3v2 tag `head` starts with (header, body and footer), or undefined. */
function id3v2Size(head: Buffer): number | undefined {
  if (head[0] !== 0x49 || head[1] !== 0x44 || head[2] !== 0x33 || head[3]! > 4 || head[4] === 0xff) return undefined;
  if ((head[6]! | head[7]! | head[8]! | head[9]!) & 0x80) return undefined;
  const body = (head[6]! << 21) | (head[7]! << 14) | (head[8]! << 7) | head[9]!;
  return 10 + body + (head[5]! & 0x10 ? 10 : 0);
}
