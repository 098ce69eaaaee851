/** The pieces of the media path that need no server: multipart fields, the model rename, usage and worst cases. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MultipartFields, rewriteModelPart } from './multipart-fields.js';
import { AUDIO_BYTES_PER_SECOND_FLOOR, imageEditUsage, lastCueEnd, transcriptionUsage, worstCaseUsage } from './media-usage.js';

const B = 'XyZ123';
function multipart(parts: Array<[string, string] | [string, Buffer, string]>): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (p.length === 2) out.push(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="${p[0]}"\r\n\r\n${p[1]}\r\n`));
    else out.push(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="${p[0]}"; filename="${p[2]}"\r\nContent-Type: application/octet-stream\r\n\r\n`), p[1], Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${B}--\r\n`));
  return Buffer.concat(out);
}

describe('MultipartFields', () => {
  test('fields arrive in order as the bytes stream past, split anywhere; files are counted, not kept', () => {
    const body = multipart([['file', Buffer.alloc(5000, 7), 'a.wav'], ['model', 'whisper-1'], ['response_format', 'srt']]);
    const seen: string[] = [];
    const f = new MultipartFields(`multipart/form-data; boundary=${B}`, { field: (n, v) => seen.push(`${n}=${v}`), malformed: (e) => assert.fail(e.message) });
    for (let i = 0; i < body.length; i += 7) f.push(body.subarray(i, Math.min(body.length, i + 7)), i + 7 >= body.length);
    assert.deepEqual(seen, ['model=whisper-1', 'response_format=srt']);
    assert.equal(f.files, 1);
  });

  test('a broken body is reported (busboy reports the end on a later tick), never thrown', async () => {
    let err: string | undefined;
    const f = new MultipartFields(`multipart/form-data; boundary=${B}`, { field: () => undefined, malformed: (e) => (err = e.code) });
    f.push(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="model"\r\n\r\nx`), true);
    await new Promise((r) => setImmediate(r));
    assert.equal(err, 'invalid_multipart');
  });

  test('boundaryOf', () => {
    assert.equal(MultipartFields.boundaryOf('multipart/form-data; boundary=abc'), 'abc');
    assert.equal(MultipartFields.boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(MultipartFields.boundaryOf('application/json'), undefined);
  });

  test('rewriteModelPart renames the model part only', () => {
    const body = multipart([['model', 'public-name'], ['file', Buffer.from('model'), 'x']]);
    const out = rewriteModelPart(body, B, 'public-name', 'whisper-1')!;
    assert.equal(out.length, body.length - 'public-name'.length + 'whisper-1'.length);
    assert.ok(out.toString('latin1').includes('name="model"\r\n\r\nwhisper-1\r\n--'));
    assert.equal(rewriteModelPart(body, B, 'other', 'x'), undefined);
  });
});

describe('media usage', () => {
  test('transcriptions: usage seconds first, then verbose duration; tokens when reported; SRT/VTT at least the last cue', () => {
    assert.equal(transcriptionUsage(Buffer.from('{"text":"x","usage":{"type":"duration","seconds":4}}'), 'application/json').audioSeconds, 4);
    assert.equal(transcriptionUsage(Buffer.from('{"text":"x","duration":2.5,"segments":[]}'), 'application/json').audioSeconds, 2.5);
    const tokens = transcriptionUsage(Buffer.from('{"text":"x","usage":{"type":"tokens","input_tokens":12,"output_tokens":3,"total_tokens":15}}'), 'application/json');
    assert.deepEqual([tokens.promptTokens, tokens.completionTokens, tokens.audioSeconds], [12, 3, undefined]);
    assert.equal(lastCueEnd('1\n00:00:00,000 --> 00:00:01,200\na\n\n2\n00:00:01,200 --> 00:01:03,450\nb\n'), 63.45);
    assert.equal(transcriptionUsage(Buffer.from('WEBVTT\n\n00:00.000 --> 00:02.500\nhi\n'), 'text/vtt').audioSeconds, 2.5);
    // A text answer says nothing: the measured duration, else the size bound (audio-meter.test.ts).
    assert.equal(transcriptionUsage(Buffer.from('plain words'), 'text/plain', { seconds: 3.2, bytes: 9000 }).audioSeconds, 3.2);
    assert.equal(transcriptionUsage(Buffer.from('plain words'), 'text/plain', undefined, 9000).audioSeconds, Math.ceil(9000 / AUDIO_BYTES_PER_SECOND_FLOOR));
  });

  test('image edits: images counted, variant from the request or the answer', () => {
    const u = imageEditUsage(Buffer.from('{"created":1,"data":[{},{},{}],"size":"1024x1024","quality":"high"}'), { size: 'auto' });
    assert.deepEqual([u.images, u.imageVariant], [3, 'high/1024x1024']);
    assert.equal(imageEditUsage(Buffer.from('{"data":[{}]}'), { size: '256x256' }).imageVariant, '256x256');
  });

  test('worst cases: seconds bounded by size, characters exact, images n (or the most)', () => {
    assert.equal(worstCaseUsage('transcriptions', { uploadBytes: 100_000 }).audioSeconds, Math.ceil(100_000 / AUDIO_BYTES_PER_SECOND_FLOOR));
    assert.equal(worstCaseUsage('speech', { characters: 42 }).characters, 42);
    assert.equal(worstCaseUsage('image_edits', { fields: { n: '2' } }).images, 2);
    const unknown = worstCaseUsage('image_edits', { fields: {} });
    assert.deepEqual([unknown.images, unknown.imageVariant], [10, undefined]);
  });
});

describe('usage event', () => {
  test('media units reach the usage event; token requests carry none', async () => {
    const { recordUsage } = await import('../../usage/usage-event.js');
    const events: Array<{ units?: unknown }> = [];
    const to = { usage: { record: (e: { units?: unknown }) => void events.push(e) }, logger: { info: () => undefined }, region: 'local', accessLog: false };
    const base = { requestId: 'r', model: 'm', principal: undefined, deployment: undefined, status: 200, errorCode: undefined, stream: false, attempts: 1, cacheHit: false, usageCounted: false, costUsd: 0, totalMs: 1, overheadMs: 1, upstreamMs: 0, ttfbMs: null };
    recordUsage(to, { ...base, op: 'transcriptions', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, audioSeconds: 3 } });
    recordUsage(to, { ...base, op: 'chat', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } });
    assert.deepEqual(events[0]!.units, { audioSeconds: 3 });
    assert.equal(events[1]!.units, undefined);
  });
});
