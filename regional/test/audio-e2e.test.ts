/**
 * Issue 16, media endpoints with the official `openai` client through the local edge (the built viewer-request
 * function) and a gateway process (api + admin, Postgres) against the mock: audio transcriptions (a real WAV made
 * here) and translations streamed through, speech streamed back, image edits (image + mask); usage rows and
 * cost as the price table says; the upload cap (413), a key's model list and a budget refuse in OpenAI's shape.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import pg from 'pg';
import { bundleText, defaultSource } from '../../edge/build/bundle.js';
import { startLocalEdge } from '../../edge/local/server.js';
import { startMockUpstream } from '../../loadtest/mock/server.js';
import { speechBytes } from '../../loadtest/mock/audio.js';
import { adminOk, signingSecretsEnv, waitForAdmin, type CreatedKey } from '../../test-support/e2e-admin.js';
import { mockConfig, startGatewayProcess } from '../../test-support/gateway.js';
import { postgres } from '../../test-support/services.js';
import { wav } from '../../test-support/wav.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const UPLOAD_CAP = 150_000;
const LOOKAHEAD = 100_000;

test('media endpoints through the local edge with the openai SDK', { timeout: 120_000 }, async (t) => {
  const pgh = await postgres(t);
  if (!pgh) return;
  t.after(() => pgh.close());
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const dir = mkdtempSync(join(tmpdir(), 'skyway-audio-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config =
    mockConfig(mock.url, ['mock-1', 'whisper-1', 'tts-1', 'dall-e-2']) +
    // A public name the upstream does not know: the multipart `model` part is renamed on the way.
    `  - name: transcriber\n    deployments:\n      - provider: openai\n        model: whisper-1\n        api_base: ${mock.url}/v1\n`;
  const gw = await startGatewayProcess({
    config,
    env: {
      SKYWAY_ROLE: 'all',
      DATABASE_URL: pgh.url,
      REDIS_URL: '',
      SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(),
      SKYWAY_ORIGIN_VERIFY_SECRET: 'ov-' + randomBytes(16).toString('hex'),
      SKYWAY_EDGE_KVS_FILE: '',
      SKYWAY_EDGE_KVS_ARN: '',
      SKYWAY_MEDIA_MAX_UPLOAD_BYTES: String(UPLOAD_CAP),
      SKYWAY_MEDIA_LOOKAHEAD_BYTES: String(LOOKAHEAD),
      // The line saying where a transcription's seconds came from is at info.
      LOG_LEVEL: 'info',
    },
  });
  t.after(async () => {
    if (gw.proc.exitCode !== null) console.error(gw.output().slice(-3000));
    await gw.stop();
  });
  await waitForAdmin(gw);
  const functionFile = join(dir, 'viewer-request.js');
  writeFileSync(functionFile, bundleText(readFileSync(defaultSource(), 'utf8')));
  const edge = await startLocalEdge({ host: '127.0.0.1', port: 0, originUrl: gw.url, kvsFile: join(gw.dataDir, 'edge-kvs.json'), functionFile });
  t.after(() => edge.close());
  const baseURL = `http://127.0.0.1:${edge.port}/v1`;
  const db = new pg.Pool({ connectionString: pgh.url, max: 2 });
  db.on('error', () => undefined); // idle clients cut when the test's Postgres stops
  t.after(() => db.end());

  const key = await adminOk<CreatedKey>(gw, 'POST', '/admin/keys', { alias: 'media' }, 201);
  const client = new OpenAI({ apiKey: key.key, baseURL, maxRetries: 0, timeout: 20_000 });

  /** The usage row of a request (the Postgres sink batches: poll). */
  async function usageRow(requestId: string | null): Promise<{ model: string; status: number; cost_usd: string }> {
    assert.ok(requestId, 'the answer names its request');
    const until = Date.now() + 15_000;
    for (;;) {
      const r = await db.query<{ model: string; status: number; cost_usd: string }>('select model, status, cost_usd::text from usage_events where request_id = $1', [requestId]);
      if (r.rows[0]) return r.rows[0];
      if (Date.now() > until) assert.fail(`no usage row for ${requestId}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  const micros = (usd: string | number | null) => Math.round(Number(usd) * 1e6);
  /** The gateway's line saying where a transcription's seconds came from (the logger writes asynchronously: poll). */
  async function audioLine(requestId: string | null): Promise<string> {
    const until = Date.now() + 10_000;
    for (;;) {
      const line = gw.output().split('\n').find((l) => l.includes(String(requestId)) && l.includes('audioSecondsSource'));
      if (line) return line;
      if (Date.now() > until) assert.fail(`no audio billing line for ${requestId}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  await t.test('audio.transcriptions.create: a 2.5 s WAV, file before model (as the SDK sends it), priced per second', async () => {
    const audio = wav(2.5);
    const { data, response } = await client.audio.transcriptions.create({ file: await toFile(audio, 'tone.wav', { type: 'audio/wav' }), model: 'whisper-1' }).withResponse();
    assert.equal(data.text, `Transcribed ${audio.length} bytes of tone.wav.`);
    const last = mock.stats().lastRequest!;
    assert.equal(last.path, '/v1/audio/transcriptions');
    const files = (last.body as { files: { field: string; size: number }[] }).files;
    assert.deepEqual(files, [{ field: 'file', filename: 'tone.wav', contentType: 'audio/wav', size: audio.length }], 'the upload reached the upstream byte for byte');
    // whisper-1: $0.006 a minute; the mock reports 3 s (2.5 rounded up): $0.0003.
    assert.equal(micros(response.headers.get('x-skyway-cost-usd')), 300);
    const row = await usageRow(response.headers.get('x-skyway-request-id'));
    assert.equal(row.model, 'whisper-1');
    assert.equal(row.status, 200);
    assert.equal(micros(row.cost_usd), 300);
  });

  await t.test('verbose_json, srt and text pass through; verbose_json priced from its duration; the model part is renamed upstream', async () => {
    const file = await toFile(wav(1.2), 'a.wav');
    const verbose = await client.audio.transcriptions.create({ file, model: 'transcriber', response_format: 'verbose_json' }).withResponse();
    assert.equal(verbose.data.duration, 1.2);
    assert.equal((mock.stats().lastRequest!.body as { model: string }).model, 'whisper-1');
    // Billed on the upstream's usage (whisper-1 reports whole seconds: 2), as its invoice is.
    assert.equal(micros(verbose.response.headers.get('x-skyway-cost-usd')), 200);
    const srt = await client.audio.transcriptions.create({ file: await toFile(wav(1.2), 'a.wav'), model: 'whisper-1', response_format: 'srt' });
    assert.match(String(srt), /^1\n00:00:00,000 --> 00:00:01,200\n/);
    const text = await client.audio.transcriptions.create({ file: await toFile(wav(1.2), 'a.wav'), model: 'whisper-1', response_format: 'text' });
    assert.match(String(text), /^Transcribed \d+ bytes/);
  });

  await t.test('response_format=text (the answer says nothing): billed on the duration measured from the upload, and the budget settles to it', async () => {
    // 8 s at 8 kHz is 128 KB: reserved as 65 s (2,000 bytes a second) = $0.0065, billed 8 s × $0.0001 = $0.0008.
    const audio = wav(8, 8000);
    const k = await adminOk<CreatedKey>(gw, 'POST', '/admin/keys', { alias: 'text-budget', budget: { max_usd: 0.0075, period: 'none' } }, 201);
    const c = new OpenAI({ apiKey: k.key, baseURL, maxRetries: 0 });
    const once = async () => {
      const { data, response } = await c.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(audio, 'tone.wav', { type: 'audio/wav' }), response_format: 'text' }).withResponse();
      assert.match(String(data), /^Transcribed \d+ bytes of tone\.wav\./);
      assert.equal(micros(response.headers.get('x-skyway-cost-usd')), 800);
      const id = response.headers.get('x-skyway-request-id');
      assert.equal(micros((await usageRow(id)).cost_usd), 800, 'the recorded cost is seconds × price');
      const line = await audioLine(id);
      assert.ok(/"audioSecondsSource":"measured"/.test(line) && /"measuredSeconds":8[,.}]/.test(line), `the log says where the seconds came from: ${line}`);
    };
    // $0.0075 admits the first ($0.0065 reserved); settled at $0.0008 it admits the second ($0.0067 left); after
    // two settlements $0.0059 is left, under the reservation: the third is refused. Settled at $0 (the defect)
    // the third would pass; left at the reservation, the second would not.
    await once();
    await once();
    await assert.rejects(c.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(audio, 'tone.wav'), response_format: 'text' }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.RateLimitError, String(e));
      assert.equal((e.error as { code?: string }).code, 'budget_exceeded');
      return true;
    });
  });

  await t.test('a file the meter cannot read, accepted by the upstream, is billed at the size bound (never $0), and the log says so', async () => {
    const junk = Buffer.alloc(20_000, 0);
    const { response } = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(junk, 'odd.wav'), response_format: 'text' }).withResponse();
    // 20,000 bytes at 2,000 bytes a second: 10 s × $0.0001.
    assert.equal(micros(response.headers.get('x-skyway-cost-usd')), 1000);
    const id = response.headers.get('x-skyway-request-id');
    assert.equal(micros((await usageRow(id)).cost_usd), 1000);
    const line = await audioLine(id);
    assert.ok(/"audioSecondsSource":"size_bound"/.test(line) && /"unmeasured":"/.test(line), line);
  });

  await t.test('audio.translations.create', async () => {
    const r = await client.audio.translations.create({ model: 'whisper-1', file: await toFile(wav(0.5), 'b.wav') });
    assert.match(r.text, /^Translated \d+ bytes of b\.wav\.$/);
    assert.equal(mock.stats().lastRequest!.path, '/v1/audio/translations');
  });

  await t.test('audio.speech.create: audio streamed back, priced per character', async () => {
    const input = 'Hello from the gateway. '.repeat(40);
    const { data: res, response } = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input }).withResponse();
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    const audio = Buffer.from(await res.arrayBuffer());
    assert.ok(audio.equals(speechBytes(input)), 'the audio arrives byte for byte');
    // tts-1: $15 per 1M characters.
    assert.equal(micros(response.headers.get('x-skyway-cost-usd')), input.length * 15);
    const row = await usageRow(response.headers.get('x-skyway-request-id'));
    assert.equal(micros(row.cost_usd), input.length * 15);
  });

  await t.test('a client that leaves during speech aborts the upstream call', async () => {
    const before = mock.stats().aborted;
    const ac = new AbortController();
    // The mock's per-request fault (the body passes through): answer after 3 s.
    const body = { model: 'tts-1', voice: 'alloy', input: 'slow', mock: { delay_ms: 3000 } } as unknown as OpenAI.Audio.SpeechCreateParams;
    const pending = client.audio.speech.create(body, { signal: ac.signal });
    const until = Date.now() + 5000;
    while (mock.stats().inFlight === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await assert.rejects(pending);
    while (mock.stats().aborted === before && Date.now() < until + 5000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(mock.stats().aborted, before + 1, 'the upstream saw the call go away');
  });

  await t.test('images.edit: image and mask, priced per image by size', async () => {
    const { data, response } = await client.images
      .edit({ image: await toFile(PNG, 'in.png', { type: 'image/png' }), mask: await toFile(PNG, 'mask.png', { type: 'image/png' }), prompt: 'add a hat', model: 'dall-e-2', n: 2, size: '256x256' })
      .withResponse();
    assert.equal(data.data?.length, 2);
    const files = (mock.stats().lastRequest!.body as { files: { field: string }[] }).files.map((f) => f.field).sort();
    assert.deepEqual(files, ['image', 'mask']);
    assert.equal(micros(response.headers.get('x-skyway-cost-usd')), 2 * 16_000, 'dall-e-2 256x256: $0.016 an image');
    const row = await usageRow(response.headers.get('x-skyway-request-id'));
    assert.equal(micros(row.cost_usd), 32_000);
  });

  await t.test("an upload whose 'model' comes after more than the lookahead is refused; with model first it streams through", async () => {
    const audio = wav(4); // 128 KB: under the cap, over the lookahead
    await assert.rejects(client.audio.transcriptions.create({ file: await toFile(audio, 'late.wav'), model: 'whisper-1' }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError, String(e));
      assert.equal((e.error as { code?: string }).code, 'model_part_too_late');
      return true;
    });
    const r = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(audio, 'early.wav') });
    assert.equal(r.text, `Transcribed ${audio.length} bytes of early.wav.`);
  });

  await t.test('an upload over the cap is refused with 413 in the OpenAI shape, and the upstream never sees it', async () => {
    const before = mock.stats().requests['/v1/audio/transcriptions'] ?? 0;
    await assert.rejects(client.audio.transcriptions.create({ file: await toFile(wav(5), 'big.wav'), model: 'whisper-1' }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError && e.status === 413, String(e));
      assert.equal((e.error as { code?: string }).code, 'request_too_large');
      return true;
    });
    assert.equal(mock.stats().requests['/v1/audio/transcriptions'] ?? 0, before);
  });

  await t.test("a key's model list refuses a model it does not hold", async () => {
    const only = await adminOk<CreatedKey>(gw, 'POST', '/admin/keys', { alias: 'whisper-only', models: ['whisper-1'] }, 201);
    const c = new OpenAI({ apiKey: only.key, baseURL, maxRetries: 0 });
    await assert.rejects(c.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hi' }), (e: unknown) => e instanceof OpenAI.PermissionDeniedError);
    await assert.rejects(c.images.edit({ image: await toFile(PNG, 'x.png'), prompt: 'x', model: 'dall-e-2' }), (e: unknown) => e instanceof OpenAI.PermissionDeniedError);
    const ok = await c.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wav(0.2), 'c.wav') });
    assert.ok(ok.text);
  });

  await t.test('a budget below the worst case of an upload is refused before the upstream is called', async () => {
    const poor = await adminOk<CreatedKey>(gw, 'POST', '/admin/keys', { alias: 'poor', budget: { max_usd: 0.0005, period: 'none' } }, 201);
    const c = new OpenAI({ apiKey: poor.key, baseURL, maxRetries: 0 });
    const before = mock.stats().requests['/v1/audio/transcriptions'] ?? 0;
    // 2 s of WAV is 64 KB: bounded at 2,000 bytes a second, 33 s × $0.0001 = $0.0033 reserved > $0.0005.
    await assert.rejects(c.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wav(2), 'd.wav') }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.RateLimitError, String(e));
      assert.equal((e.error as { code?: string }).code, 'budget_exceeded');
      return true;
    });
    assert.equal(mock.stats().requests['/v1/audio/transcriptions'] ?? 0, before);
    // Speech of a few characters fits the budget.
    const small = await c.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'short' });
    assert.equal(Buffer.from(await small.arrayBuffer()).length, speechBytes('short').length);
  });
});
