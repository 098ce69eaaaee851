/**
 * Issue 16 through the real gateway process: `@anthropic-ai/sdk` sends a `cache_control` request to
 * /v1/messages twice (the recorded Anthropic answers: a cache write, then a cache read), then streamed, and the
 * `openai` client streams a chat completion to the same model. Each request's usage event must reach the
 * Postgres ledger and the daily aggregates and the embedded NDJSON request log with every token kind and the
 * cost per kind, equal to the `x-skyway-cost-usd` the client was told and to the bill computed from the
 * recordings and prices.json, to the micro-dollar; `/admin/spend` answers the same breakdown.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import pg from 'pg';
import { signingSecretsEnv } from '../../test-support/e2e-admin.js';
import { startGatewayProcess } from '../../test-support/gateway.js';
import { chop, fixture, fixtureJson, startFakeUpstream, type ReceivedRequest } from '../../test-support/providers-fake-upstream.js';
import { postgres } from '../../test-support/services.js';
import { waitUntil } from '../../test-support/usage-sinks.js';
import { readRequestLog } from '../src/admin/console/request-log.js';
import { DEFAULT_PRICES } from '../src/pricing/index.js';

interface RecordedUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}
const WRITE = fixtureJson<{ usage: RecordedUsage }>('anthropic/messages-cache-write.json').usage;
const READ = fixtureJson<{ usage: RecordedUsage }>('anthropic/messages-cache-read.json').usage;
/** The recorded stream's final usage (message_start's input and cache counts, message_delta's output). */
const STREAM_READ: RecordedUsage = { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 1843, output_tokens: 9 };
const PRICE = DEFAULT_PRICES['claude-sonnet-4']!;
const LONG = 'Clause 14.2: either party may terminate this agreement with thirty days written notice. '.repeat(60);
const EPHEMERAL = { type: 'ephemeral' as const };

/** What the bill shows for a recorded Anthropic usage, per kind, in micro-dollars (prices are µ$ per token). */
function bill(u: RecordedUsage) {
  const parts = {
    input: u.input_tokens * PRICE.input,
    cachedInput: u.cache_read_input_tokens * PRICE.cachedInput!,
    cacheWrite: u.cache_creation_input_tokens * PRICE.cacheWrite!,
    output: u.output_tokens * PRICE.output,
  };
  return {
    ...parts,
    total: parts.input + parts.cachedInput + parts.cacheWrite + parts.output,
    prompt: u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
  };
}

const near = (usd: unknown, micros: number, what: string) => assert.ok(Math.abs(Number(usd) * 1e6 - micros) < 0.5, `${what}: ${Number(usd) * 1e6} µ$ ≠ ${micros} µ$`);

test('cache write then cache read through /v1/messages (JSON and streamed) and a streamed chat: every sink holds the breakdown', { timeout: 60_000 }, async (t) => {
  const db = await postgres(t);
  if (!db) return;
  // Stopped in reverse order: the gateway and the pool before the database is dropped.
  const stops: (() => Promise<unknown>)[] = [() => db.close()];
  t.after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });
  let jsonAnswers = 0;
  const up = await startFakeUpstream((r: ReceivedRequest) => {
    const body = r.json();
    if (body.stream === true) return { headers: { 'content-type': 'text/event-stream' }, body: chop(fixture('anthropic/stream-cache-read.sse')) };
    return { body: fixture(jsonAnswers++ === 0 ? 'anthropic/messages-cache-write.json' : 'anthropic/messages-cache-read.json') };
  });
  stops.push(() => up.close());
  const config =
    'models:\n  - name: claude-cached\n    deployments:\n      - provider: anthropic\n        model: claude-sonnet-4-5-20250929\n' +
    `        api_base: ${up.url}/v1\n        api_key_env: E2E_ANTHROPIC_KEY\n`;
  const gw = await startGatewayProcess({
    config,
    env: {
      E2E_ANTHROPIC_KEY: 'sk-ant-e2e', DATABASE_URL: db.url, REDIS_URL: '', SKYWAY_ROLE: 'all', SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(),
      SKYWAY_USAGE_FLUSH_MS: '100', SKYWAY_EMF: '0', CLICKHOUSE_URL: '', SKYWAY_S3_BUCKET: '', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
    },
  });
  stops.push(() => gw.stop());
  const anthropic = new Anthropic({ apiKey: gw.masterKey, baseURL: gw.url, maxRetries: 0, timeout: 10_000 });
  const openai = new OpenAI({ apiKey: gw.masterKey, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 10_000 });

  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: 'claude-cached',
    max_tokens: 100,
    system: [{ type: 'text', text: LONG, cache_control: EPHEMERAL }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the notice period?', cache_control: EPHEMERAL }] }],
  };
  const sent: { id: string; usage: RecordedUsage; header: string | null; stream: boolean }[] = [];
  for (const usage of [WRITE, READ]) {
    const r = await anthropic.messages.create(params).withResponse();
    sent.push({ id: r.response.headers.get('x-skyway-request-id')!, usage, header: r.response.headers.get('x-skyway-cost-usd'), stream: false });
  }
  const streamed = await anthropic.messages.create({ ...params, stream: true }).withResponse();
  for await (const _ of streamed.data) void _;
  sent.push({ id: streamed.response.headers.get('x-skyway-request-id')!, usage: STREAM_READ, header: null, stream: true });
  const chat = await openai.chat.completions
    .create({ model: 'claude-cached', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'system', content: LONG }, { role: 'user', content: 'Notice period?' }] })
    .withResponse();
  for await (const _ of chat.data) void _;
  sent.push({ id: chat.response.headers.get('x-skyway-request-id')!, usage: STREAM_READ, header: null, stream: true });
  for (const s of sent) assert.ok(s.id, 'every answer names its request id');
  // The client was told the bill (JSON answers carry the header).
  for (const s of sent.filter((x) => x.header !== null)) near(s.header, bill(s.usage).total, `x-skyway-cost-usd of ${s.id}`);

  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  pool.on('error', () => undefined);
  stops.push(() => pool.end());
  const ids = sent.map((s) => s.id);
  await waitUntil(
    async () => Number((await pool.query('select count(*) as n from usage_events where request_id = any($1)', [ids])).rows[0].n) === ids.length,
    15_000,
    () => 'usage events in Postgres',
  );
  const ledger = (await pool.query('select * from usage_events where request_id = any($1)', [ids])).rows as Record<string, unknown>[];
  const day = new Date().toISOString().slice(0, 10);
  let logRows: Record<string, unknown>[] = [];
  await waitUntil(
    async () => {
      logRows = (await readRequestLog(gw.dataDir, { from: day, to: day })).rows.filter((r) => ids.includes(r.request_id)) as unknown as Record<string, unknown>[];
      return logRows.length === ids.length;
    },
    15_000,
    () => `NDJSON request log rows: ${logRows.length}`,
  );

  for (const [sink, rows] of [['usage_events', ledger], ['request_log (NDJSON)', logRows]] as const) {
    for (const s of sent) {
      const row = rows.find((r) => r.request_id === s.id) ?? assert.fail(`${sink}: no row for ${s.id}`);
      const b = bill(s.usage);
      const at = `${sink} ${s.stream ? 'stream' : 'json'} ${s.id}`;
      assert.deepEqual(
        [row.prompt_tokens, row.completion_tokens, row.cached_tokens, row.cache_write_tokens, row.reasoning_tokens].map(Number),
        [b.prompt, s.usage.output_tokens, s.usage.cache_read_input_tokens, s.usage.cache_creation_input_tokens, 0],
        `${at}: tokens`,
      );
      near(row.cost_usd, b.total, `${at}: cost`);
      near(row.input_cost_usd, b.input, `${at}: input cost`);
      near(row.cached_input_cost_usd, b.cachedInput, `${at}: cached input cost`);
      near(row.cache_write_cost_usd, b.cacheWrite, `${at}: cache write cost`);
      near(row.output_cost_usd, b.output, `${at}: output cost`);
    }
  }
  // The first request wrote the cache, the second read it.
  const first = ledger.find((r) => r.request_id === ids[0])!;
  const second = ledger.find((r) => r.request_id === ids[1])!;
  assert.deepEqual([Number(first.cache_write_tokens), Number(first.cached_tokens)], [WRITE.cache_creation_input_tokens, 0]);
  assert.deepEqual([Number(second.cache_write_tokens), Number(second.cached_tokens)], [0, READ.cache_read_input_tokens]);

  // /admin/spend answers the same sums.
  const res = await fetch(`${gw.adminUrl}/admin/spend?group_by=model&from=${day}&to=${day}`, { headers: { authorization: `Bearer ${gw.masterKey}` } });
  assert.equal(res.status, 200);
  const report = (await res.json()) as { total: Record<string, number> };
  const bills = sent.map((s) => bill(s.usage));
  const sum = (f: (b: ReturnType<typeof bill>) => number) => bills.reduce((acc, b) => acc + f(b), 0);
  assert.equal(report.total.requests, sent.length);
  assert.equal(report.total.cache_write_tokens, WRITE.cache_creation_input_tokens);
  assert.equal(report.total.cached_tokens, READ.cache_read_input_tokens + 2 * STREAM_READ.cache_read_input_tokens);
  near(report.total.cost_usd, sum((b) => b.total), 'spend total');
  near(report.total.cache_write_cost_usd, sum((b) => b.cacheWrite), 'spend cache writes');
  near(report.total.cached_input_cost_usd, sum((b) => b.cachedInput), 'spend cache reads');
});
