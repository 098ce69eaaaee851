/**
 * Issue 16, the usage breakdown end to end: each provider's recorded answer (JSON and stream) goes through the
 * adapter the pipeline uses, is priced as the pipeline prices it (PriceBook.costOf/costByKindOf with the
 * deployment and the served model), becomes a usage event through recordUsage, and lands in every sink —
 * Postgres (`usage_events`, `spend_daily`), ClickHouse (chDB: `request_log`, `traces`), the NDJSON files of the
 * embedded mode (read back through the console's reader) and the archive. Every sink must show the provider's
 * bill to the micro-dollar, per token kind. A replay adds nothing; an event written before the breakdown
 * existed still reads (its kinds as 0).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { clickhouse } from '../../../../test-support/clickhouse.js';
import { chop } from '../../../../test-support/providers-fake-upstream.js';
import { postgres } from '../../../../test-support/services.js';
import { readRequestLog } from '../../admin/console/request-log.js';
import { PriceBook } from '../../pricing/cost.js';
import type { Deployment, Usage } from '../../providers/adapter.js';
import { adapterFor } from '../../providers/registry.js';
import type { UsageEvent } from '../event.js';
import { FileObjectStore } from '../object-store.js';
import { ArchiveSink } from '../sinks/archive.js';
import { ClickHouseSink } from '../sinks/clickhouse.js';
import { LocalClickHouseFilesSink } from '../sinks/local-clickhouse.js';
import { PostgresSpendSink } from '../sinks/postgres.js';
import { recordUsage } from '../usage-event.js';
import { billMicros, CASES, type BreakdownCase } from './breakdown-cases.js';
import { migrateForUsage } from './migrate.js';

const book = new PriceBook();
const RUN = Date.now().toString(36);
const signal = new AbortController().signal;
const micros = (usd: number | string) => Number(usd) * 1e6;
/** To the micro-dollar: the stored figure and the bill differ by less than half a micro-dollar. */
function sameMicros(actual: number | string, expected: number, what: string): void {
  assert.ok(Math.abs(micros(actual) - expected) < 0.5, `${what}: ${micros(actual)} µ$ ≠ ${expected} µ$`);
}

/** The usage the adapter reads from the recorded bytes, as the pipeline feeds them (chunked streams). */
function adapterUsage(c: BreakdownCase, d: Deployment): Usage | undefined {
  const adapter = adapterFor(c.provider);
  const ctx = { requestId: `req_${c.name}`, operation: 'chat' as const, stream: c.stream, model: publicModel(c) };
  if (!c.stream) return adapter.translateResponse(ctx, c.bytes, d).usage;
  const t = adapter.createStreamTranslator(ctx, d);
  for (const chunk of chop(c.bytes, 53)) t.push(chunk);
  t.end();
  return t.usage;
}

const publicModel = (c: BreakdownCase) => `bd-${c.provider}-${CASES.indexOf(c)}`;
const requestId = (c: BreakdownCase) => `req_bd_${RUN}_${CASES.indexOf(c).toString().padStart(2, '0')}`;

function deploymentOf(c: BreakdownCase): Deployment {
  return {
    id: `${publicModel(c)}/0`, provider: c.provider, upstreamModel: c.model, apiBase: 'http://127.0.0.1:9', apiKey: 'k',
    weight: 1, timeoutMs: 1000, headers: {}, options: c.options ?? {},
  };
}

/** The event recordUsage emits for one case, priced as the pipeline prices it. */
function eventOf(c: BreakdownCase): UsageEvent {
  const d = deploymentOf(c);
  const usage = adapterUsage(c, d);
  assert.ok(usage, `${c.name}: the adapter read no usage`);
  const costUsd = book.costOf(usage, d, publicModel(c));
  assert.ok(costUsd !== undefined, `${c.name}: no price for ${c.model}`);
  const out: UsageEvent[] = [];
  recordUsage(
    { usage: { record: (e) => out.push(e) }, logger: { info: () => undefined }, region: 'eu-west-1', accessLog: false },
    {
      requestId: requestId(c), op: 'chat', model: publicModel(c), principal: undefined, deployment: d, status: 200, errorCode: undefined,
      stream: c.stream, attempts: 1, cacheHit: false, usageCounted: false, usage, costUsd, costByKind: book.costByKindOf(usage, d, publicModel(c)),
      totalMs: 100, overheadMs: 1, upstreamMs: 99, ttfbMs: 20,
    },
  );
  assert.equal(out.length, 1);
  return out[0]!;
}

const KIND_COLUMNS = {
  input: 'input_cost_usd', cachedInput: 'cached_input_cost_usd', cacheWrite: 'cache_write_cost_usd', output: 'output_cost_usd', reasoning: 'reasoning_cost_usd',
} as const;

/** A sink's row for one case, in request-log/Postgres column names, checked against the recorded bill. */
function checkRow(c: BreakdownCase, row: Record<string, unknown>, sink: string): void {
  const at = `${sink}, ${c.name}`;
  assert.deepEqual(
    [row.prompt_tokens, row.completion_tokens, row.cached_tokens, row.cache_write_tokens, row.cache_write_1h_tokens, row.reasoning_tokens].map(Number),
    [c.tokens.prompt, c.tokens.completion, c.tokens.cached, c.tokens.cacheWrite, c.tokens.cacheWrite1h, c.tokens.reasoning],
    `${at}: tokens`,
  );
  sameMicros(row.cost_usd as number, billMicros(c), `${at}: cost (${c.note})`);
  for (const [kind, col] of Object.entries(KIND_COLUMNS)) sameMicros(row[col] as number, c.micros[kind as keyof BreakdownCase['micros']], `${at}: ${col}`);
}

/** An event as written before the breakdown existed: no cacheWrite/reasoning, no costByKind. */
function oldEvent(): UsageEvent {
  const e = eventOf(CASES[0]!);
  const { costByKind: _drop, ...rest } = e;
  return { ...rest, requestId: `req_bd_${RUN}_old`, model: 'bd-old', tokens: { prompt: 10, completion: 5, cached: 2 }, costUsd: 0.00005 };
}

describe('usage breakdown: recorded usage → event → every sink, to the micro-dollar', () => {
  const events = CASES.map(eventOf);
  const all = [...events, oldEvent()];

  test('the event carries every token kind and the cost per kind; the kinds add up to costUsd', () => {
    for (const [i, c] of CASES.entries()) {
      const e = events[i]!;
      assert.deepEqual(e.tokens, c.tokens, `${c.name}: tokens`);
      sameMicros(e.costUsd, billMicros(c), `${c.name}: costUsd (${c.note})`);
      assert.ok(e.costByKind, `${c.name}: costByKind`);
      for (const k of Object.keys(KIND_COLUMNS) as (keyof typeof KIND_COLUMNS)[]) sameMicros(e.costByKind[k], c.micros[k], `${c.name}: ${k}`);
      const sum = Object.values(e.costByKind).reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(sum - e.costUsd) < 1e-12, `${c.name}: parts ${sum} ≠ costUsd ${e.costUsd}`);
      assert.equal(e.stream, c.stream);
    }
    assert.ok(CASES.some((c) => c.stream) && CASES.some((c) => !c.stream));
    for (const p of ['openai', 'azure', 'anthropic', 'bedrock', 'gemini', 'vertex']) assert.ok(CASES.some((c) => c.provider === p), `a case for ${p}`);
  });

  test('Postgres: usage_events and spend_daily hold the bill per kind; a replay adds nothing; an old event reads 0', async (t) => {
    const db = await postgres(t);
    if (!db) return;
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      await migrateForUsage(db.url);
      const sink = new PostgresSpendSink(pool);
      await sink.write(all, signal);
      await sink.write(all, signal); // a replayed batch
      const rows = (await pool.query('select * from usage_events order by request_id')).rows as Record<string, unknown>[];
      assert.equal(rows.length, all.length);
      for (const c of CASES) checkRow(c, rows.find((r) => r.request_id === requestId(c)) ?? assert.fail(`no row for ${c.name}`), 'usage_events');
      const old = rows.find((r) => r.request_id === `req_bd_${RUN}_old`)!;
      assert.deepEqual([old.cached_tokens, old.cache_write_tokens, old.reasoning_tokens, Number(old.input_cost_usd)], [2, 0, 0, 0]);

      // One aggregate row per public model (one case each): the same figures, counted once despite the replay.
      const agg = (await pool.query('select * from spend_daily')).rows as Record<string, unknown>[];
      for (const c of CASES) {
        const row = agg.find((r) => r.model === publicModel(c)) ?? assert.fail(`no spend_daily row for ${c.name}`);
        assert.equal(Number(row.requests), 1, `${c.name}: requests`);
        checkRow(c, row, 'spend_daily');
      }
      // The usage README's breakdown query runs.
      const q = await pool.query(
        `SELECT model, sum(cached_tokens) AS cached, sum(cached_input_cost_usd) AS paid,
                sum(cache_write_tokens) AS written, sum(cache_write_cost_usd) AS write_usd, sum(reasoning_cost_usd) AS reasoning_usd
         FROM spend_daily WHERE day >= date_trunc('month', current_date) GROUP BY model ORDER BY paid DESC`,
      );
      assert.equal(q.rows.length, CASES.length + 1);
    } finally {
      await pool.end();
      await db.close();
    }
  });

  test('ClickHouse (chDB): request_log rows and trace attributes carry the breakdown; an old event reads 0', async (t) => {
    const ch = await clickhouse(t);
    if (!ch) return;
    try {
      const sink = new ClickHouseSink({ url: ch.url, username: ch.username, password: ch.password, database: ch.database });
      try {
        await sink.init();
        await sink.write(all, signal);
        await sink.write(all, signal);
        const rows = await ch.query<Record<string, unknown>>(`SELECT * FROM request_log FINAL WHERE request_id LIKE 'req_bd_${RUN}_%'`);
        assert.equal(rows.length, all.length);
        for (const c of CASES) checkRow(c, rows.find((r) => r.request_id === requestId(c)) ?? assert.fail(`no row for ${c.name}`), 'request_log');
        const old = rows.find((r) => r.request_id === `req_bd_${RUN}_old`)!;
        assert.deepEqual([old.cached_tokens, old.cache_write_tokens, old.reasoning_tokens, old.input_cost_usd].map(Number), [2, 0, 0, 0]);

        const spans = await ch.query<{ RequestId: string; a: Record<string, string> }>(`SELECT RequestId, SpanAttributes AS a FROM traces FINAL WHERE RequestId LIKE 'req_bd_${RUN}_%'`);
        for (const c of CASES) {
          const a = spans.find((s) => s.RequestId === requestId(c))?.a ?? assert.fail(`no span for ${c.name}`);
          assert.equal(Number(a['gen_ai.usage.input_tokens']), c.tokens.prompt, `${c.name}: span input`);
          assert.equal(Number(a['gen_ai.usage.cache_read.input_tokens']), c.tokens.cached);
          assert.equal(Number(a['gen_ai.usage.cache_creation.input_tokens']), c.tokens.cacheWrite);
          assert.equal(Number(a['skyway.usage.reasoning_tokens']), c.tokens.reasoning);
          sameMicros(a['skyway.cost_usd']!, billMicros(c), `span ${c.name}: cost`);
          sameMicros(a['skyway.cost.cache_write_usd']!, c.micros.cacheWrite, `span ${c.name}: cache write cost`);
        }
      } finally {
        await sink.close();
      }
    } finally {
      await ch.close();
    }
  });

  test('embedded mode: the NDJSON request log (read by the console) and the archive carry the breakdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skyway-breakdown-'));
    try {
      const files = new LocalClickHouseFilesSink(join(dir, 'clickhouse'));
      await files.write(all, signal);
      const day = new Date().toISOString().slice(0, 10);
      const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const { rows } = await readRequestLog(dir, { from, to: day });
      for (const c of CASES) checkRow(c, (rows.find((r) => r.request_id === requestId(c)) as unknown as Record<string, unknown>) ?? assert.fail(`no row for ${c.name}`), 'ndjson');
      const old = rows.find((r) => r.request_id === `req_bd_${RUN}_old`)!;
      assert.deepEqual([old.cache_write_tokens, old.reasoning_tokens, old.input_cost_usd], [0, 0, 0]);

      // A file written before the breakdown existed (no breakdown columns at all) still reads, as 0.
      const legacy = JSON.parse(readFileSync(firstFile(join(dir, 'clickhouse', 'request_log')), 'utf8').split('\n')[0]!) as Record<string, unknown>;
      for (const k of Object.keys(legacy)) if (/cache_write|reasoning|_cost_usd$/.test(k)) delete legacy[k];
      legacy.request_id = 'req_legacy';
      const legacyDir = join(dir, 'clickhouse', 'request_log', `dt=${day}`);
      await new FileObjectStore(join(dir, 'clickhouse')).put(`request_log/dt=${day}/legacy.ndjson`, Buffer.from(JSON.stringify(legacy) + '\n'), 'application/x-ndjson');
      assert.ok(statSync(join(legacyDir, 'legacy.ndjson')).size > 0);
      const again = await readRequestLog(dir, { from, to: day });
      const l = again.rows.find((r) => r.request_id === 'req_legacy')!;
      assert.deepEqual([l.cache_write_tokens, l.reasoning_tokens, l.reasoning_cost_usd, l.prompt_tokens], [0, 0, 0, legacy.prompt_tokens]);

      await new ArchiveSink(new FileObjectStore(join(dir, 'archive'))).write(all, signal);
      const archived = archiveLines(join(dir, 'archive'));
      for (const c of CASES) {
        const e = archived.find((x) => x.requestId === requestId(c)) ?? assert.fail(`not archived: ${c.name}`);
        assert.deepEqual(e.tokens, c.tokens, `archive ${c.name}: tokens`);
        sameMicros(e.costUsd, billMicros(c), `archive ${c.name}: cost`);
        sameMicros(e.costByKind!.cachedInput, c.micros.cachedInput, `archive ${c.name}: cached input cost`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function firstFile(root: string): string {
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) return firstFile(p);
    if (name.endsWith('.ndjson')) return p;
  }
  throw new Error(`no file under ${root}`);
}

function archiveLines(root: string): UsageEvent[] {
  const out: UsageEvent[] = [];
  const walk = (p: string) => {
    for (const name of readdirSync(p)) {
      const q = join(p, name);
      if (statSync(q).isDirectory()) walk(q);
      else if (name.endsWith('.gz')) for (const line of gunzipSync(readFileSync(q)).toString('utf8').split('\n')) if (line) out.push(JSON.parse(line) as UsageEvent);
    }
  };
  walk(root);
  return out;
}
