/**
 * The duration meter of uploads: real files of known durations (WAV made here, MP3 fixtures made by
 * regional/test/fixtures/audio/make-fixtures.sh), fed in pieces of any size, through the multipart parser as
 * the gateway feeds it; and files made to break it (truncated, garbage, forged sizes), which must end in "no
 * figure" with a reason, never a throw, a hang or a figure the bytes cannot hold.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../../../test-support/paths.js';
import { AudioMeter, MAX_LAG_BYTES, METADATA_ALLOWANCE_BYTES, MIN_AUDIO_BYTES_PER_SECOND, plausibleSeconds, type AudioMeasure } from './audio-meter.js';
import { MultipartFields } from './multipart-fields.js';
import { AUDIO_BYTES_PER_SECOND_FLOOR, transcriptionBill } from './media-usage.js';
import { wav } from '../../../../test-support/wav.js';

const fixture = (name: string) => readFileSync(join(repoRoot(), 'regional/test/fixtures/audio', name));

/** A deterministic generator (the same inputs every run; a failure names its seed). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Feed `bytes` in pieces of 1..`maxPiece` bytes, a turn of the event loop now and then, then end. */
async function measure(bytes: Buffer, mime: string | undefined, maxPiece = 70_000, seed = 1): Promise<AudioMeasure> {
  const m = new AudioMeter(mime);
  const r = rng(seed);
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const len = 1 + Math.floor(r() * maxPiece);
    m.write(bytes.subarray(at, at + len));
    at += len;
    if (n % 4 === 3) await new Promise((res) => setImmediate(res));
  }
  m.end();
  return m.done();
}

describe('AudioMeter: real files', () => {
  test('WAV of known durations, any piece sizes, whatever the declared type', async () => {
    for (const [seconds, rate, mime] of [
      [2.5, 16_000, 'audio/wav'],
      [0.25, 8_000, 'audio/x-wav'],
      [61, 16_000, 'application/octet-stream'],
      [7, 22_050, undefined],
    ] as const) {
      const file = wav(seconds, rate);
      const r = await measure(file, mime, 9_000, seconds * 10);
      assert.equal(r.reason, undefined, `${seconds} s: ${r.reason}`);
      assert.equal(r.bytes, file.length);
      // The PCM bound counts the 44 header bytes as audio: at most 44 / byte rate over.
      assert.ok(r.seconds! >= seconds && r.seconds! - seconds < 44 / (rate * 2) + 1e-9, `${seconds} s measured ${r.seconds}`);
    }
  });

  test('MP3: CBR with an Info tag, VBR with a Xing tag, CBR without a tag (frames counted)', async () => {
    for (const name of ['tone-3s-cbr.mp3', 'tone-3s-vbr.mp3', 'tone-3s-notag.mp3']) {
      const r = await measure(fixture(name), 'audio/mpeg', 700);
      assert.equal(r.reason, undefined, `${name}: ${r.reason}`);
      // 3 s of PCM plus the encoder's padding (at most a few 576-sample frames at 16 kHz).
      assert.ok(r.seconds! >= 3 && r.seconds! < 3.15, `${name}: ${r.seconds}`);
    }
  });

  test('through the multipart parser: only the part named `file` is measured, whatever comes after it', async () => {
    const B = 'b0undary';
    const audio = wav(4.5);
    const body = Buffer.concat([
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n`),
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
      audio,
      Buffer.from(`\r\n--${B}\r\nContent-Disposition: form-data; name="response_format"\r\n\r\ntext\r\n--${B}--\r\n`),
    ]);
    const f = new MultipartFields(`multipart/form-data; boundary=${B}`, { field: () => undefined, malformed: (e) => assert.fail(e.message) });
    for (let at = 0; at < body.length; at += 1000) f.push(body.subarray(at, at + 1000), at + 1000 >= body.length);
    const r = await f.audio!.done();
    assert.equal(r.bytes, audio.length);
    assert.ok(Math.abs(r.seconds! - 4.5) < 0.01, String(r.seconds));
    const images = new MultipartFields(`multipart/form-data; boundary=${B}`, { field: () => undefined, malformed: () => undefined });
    images.push(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\nPNG\r\n--${B}--\r\n`), true);
    assert.equal(images.audio, undefined, 'image edits are not measured');
  });
});

describe('AudioMeter: files made to break it', () => {
  test('a WAV header that declares 4 GiB of data is held to the bytes sent; a truncated WAV to what arrived', async () => {
    const huge = await measure(wav(3, 16_000, 0xfffffff0), 'audio/wav');
    assert.ok(Math.abs(huge.seconds! - 3) < 0.01, String(huge.seconds));
    const cut = wav(3).subarray(0, 44 + 32_000);
    const r = await measure(cut, 'audio/wav');
    assert.ok(Math.abs(r.seconds! - 1) < 0.01, String(r.seconds));
  });

  test('ID3v2 tags are skipped, not buffered: a real tag of 300 KB before the audio, a forged one declaring 256 MiB', async () => {
    const mp3 = fixture('tone-3s-cbr.mp3');
    const syncsafe = (n: number) => [(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f];
    const padding = 300_000; // an ID3v2.3 tag of padding (where a cover picture would be)
    const tagged = Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, ...syncsafe(padding)]), Buffer.alloc(padding), mp3]);
    const r = await measure(tagged, 'audio/mpeg', 3000);
    assert.equal(r.bytes, tagged.length);
    assert.ok(r.seconds! >= 3 && r.seconds! < 3.15, String(r.seconds));
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const forged = Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0x7f, 0x7f, 0x7f, 0x7f]), Buffer.alloc(500_000, 0x41)]);
    const m = new AudioMeter('audio/mpeg');
    for (let at = 0; at < forged.length; at += 8192) {
      m.write(forged.subarray(at, at + 8192));
      await new Promise((res) => setImmediate(res));
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    m.end();
    const f = await m.done();
    assert.equal(f.seconds, undefined);
    assert.ok(peak - before < 64 * 1024 * 1024, `the parser allocated ${peak - before} bytes for a tag that never came`);
  });

  test('plausibleSeconds: a header cannot claim more than the bytes hold at the leanest rate, nor less than at the richest', () => {
    assert.equal(plausibleSeconds({ duration: 1e9 }, 10_000), 10_000 / MIN_AUDIO_BYTES_PER_SECOND);
    const big = 6_400_000 + METADATA_ALLOWANCE_BYTES;
    assert.equal(plausibleSeconds({ duration: 1, lossless: false }, big), 100, 'a forged Xing tag: 6.4 MB of audio is at least 100 s at 512 kbit/s');
    assert.equal(plausibleSeconds({ duration: 1, lossless: false }, big + 3_200_000, 3_200_000), 100, 'skipped ID3 tags are not audio');
    assert.equal(plausibleSeconds({ duration: 3, lossless: false }, 900_000), 3, 'a short clip with cover art is not stretched');
    assert.equal(plausibleSeconds({ duration: 1, lossless: false, hasVideo: true }, big), 1);
    assert.equal(plausibleSeconds({ duration: Number.NaN }, 1000), undefined);
    assert.equal(plausibleSeconds({ duration: -1 }, 1000), undefined);
  });

  test('garbage, truncations, bit flips and forged headers: every one ends, no throw, any figure within the bounds', async () => {
    const sources: Array<[string, Buffer, string]> = [
      ['wav', wav(2), 'audio/wav'],
      ['cbr', fixture('tone-3s-cbr.mp3'), 'audio/mpeg'],
      ['vbr', fixture('tone-3s-vbr.mp3'), 'audio/mpeg'],
      ['notag', fixture('tone-3s-notag.mp3'), 'audio/mpeg'],
    ];
    const heads = ['RIFF\xff\xff\xff\xffWAVEfmt ', 'ID3\x04\x00\x00\x7f\x7f\x7f\x7f', 'fLaC\x00\x00\x00\x22', 'OggS\x00\x02', '\x1aE\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1f', '\x00\x00\x00\x20ftypM4A ', '\xff\xfb\x90\x64'];
    const mimes = ['audio/wav', 'audio/mpeg', 'audio/flac', 'audio/ogg', 'audio/webm', 'audio/mp4', undefined];
    const cases: Array<[string, Buffer, string | undefined]> = [['empty', Buffer.alloc(0), 'audio/wav']];
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      const [name, src, mime] = sources[seed % sources.length]!;
      const kind = seed % 4;
      let b: Buffer;
      if (kind === 0) b = src.subarray(0, Math.floor(r() * src.length)); // truncated anywhere
      else if (kind === 1) {
        b = Buffer.from(src); // bytes flipped, the header included
        for (let i = 0; i < 1 + Math.floor(r() * 40); i++) b[Math.floor(r() * Math.min(b.length, i < 10 ? 200 : b.length))] = Math.floor(r() * 256);
      } else {
        // A real container's magic, then sizes and fields made of noise.
        const head = Buffer.from(heads[seed % heads.length]!, 'latin1');
        const noise = Buffer.alloc(Math.floor(r() * 200_000));
        for (let i = 0; i < noise.length; i++) noise[i] = kind === 2 ? Math.floor(r() * 256) : 0xff;
        b = Buffer.concat([head, noise]);
      }
      cases.push([`${name}/${kind}/seed ${seed}`, b, kind >= 2 ? mimes[seed % mimes.length] : mime]);
    }
    for (const [name, b, mime] of cases) {
      const r = await measure(b, mime, 5000, b.length);
      assert.equal(r.bytes, b.length, name);
      if (r.seconds === undefined) assert.ok(r.reason && r.reason !== 'pending', `${name}: ${r.reason}`);
      else assert.ok(r.seconds > 0 && r.seconds <= b.length / MIN_AUDIO_BYTES_PER_SECOND, `${name}: ${r.seconds} s from ${b.length} bytes`);
    }
  });

  test('bytes that all look like an MPEG frame start (a frame search that crawls) are given up, not parsed for minutes', async () => {
    const r = await measure(Buffer.alloc(3_000_000, 0xff), 'audio/mpeg', 64 * 1024);
    assert.equal(r.seconds, undefined);
    assert.ok(r.reason, 'a reason is given');
  });

  test('a parser that falls more than MAX_LAG_BYTES behind the upload gives up (memory stays bounded)', async () => {
    const m = new AudioMeter('audio/wav');
    m.write(wav(1));
    m.write(Buffer.alloc(MAX_LAG_BYTES)); // in the same turn: the parser had no chance to read
    m.end();
    assert.deepEqual(await m.done(), { seconds: undefined, bytes: wav(1).length + MAX_LAG_BYTES, reason: 'fell_behind' });
  });

  test('stop() ends a parse in progress; before the file ended, the measure is pending', async () => {
    const m = new AudioMeter('audio/wav');
    m.write(wav(2).subarray(0, 1000));
    assert.equal(m.result().reason, 'pending');
    m.stop();
    assert.equal((await m.done()).reason, 'stopped');
  });
});

describe('transcriptionBill: where the seconds come from', () => {
  const text = Buffer.from('Hello.\n');
  const measured: AudioMeasure = { seconds: 12.4, bytes: 400_000 };
  const failed: AudioMeasure = { seconds: undefined, bytes: 400_000, reason: 'unrecognised' };

  test("the upstream's figure wins; then the measure; then the size bound, never 0", () => {
    const json = Buffer.from('{"text":"x","usage":{"type":"duration","seconds":13}}');
    assert.deepEqual([transcriptionBill(json, 'application/json', measured).usage.audioSeconds, transcriptionBill(json, 'application/json', measured).source], [13, 'upstream']);
    const t = transcriptionBill(text, 'text/plain', measured);
    assert.deepEqual([t.usage.audioSeconds, t.source], [12.4, 'measured']);
    const f = transcriptionBill(text, 'text/plain', failed, 500_000);
    assert.deepEqual([f.usage.audioSeconds, f.source], [400_000 / AUDIO_BYTES_PER_SECOND_FLOOR, 'size_bound'], 'the file bytes at the floor');
    const none = transcriptionBill(text, 'text/plain', undefined, 500_000);
    assert.deepEqual([none.usage.audioSeconds, none.source], [250, 'size_bound'], 'no file part seen: the body bytes');
  });

  test('SRT/VTT: the measure, at least the last cue; tokens answers are priced on tokens', () => {
    const srt = Buffer.from('1\n00:00:00,000 --> 00:00:10,000\nhi\n');
    assert.equal(transcriptionBill(srt, 'text/plain', measured).usage.audioSeconds, 12.4, 'trailing silence is billed');
    assert.equal(transcriptionBill(srt, 'text/plain', { seconds: 8, bytes: 1 }).usage.audioSeconds, 10);
    const tokens = transcriptionBill(Buffer.from('{"text":"x","usage":{"type":"tokens","input_tokens":12,"output_tokens":3,"total_tokens":15}}'), 'application/json', measured);
    assert.deepEqual([tokens.usage.promptTokens, tokens.usage.audioSeconds, tokens.source], [12, undefined, 'tokens']);
  });
});
