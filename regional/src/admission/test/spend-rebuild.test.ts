/**
 * Budgets survive Redis losing their counters: spend recorded through the usage pipeline's Postgres sink is
 * rebuilt from the ledger when a private redis-server is flushed (FLUSHDB) — never the machine's shared one.
 * Also: one ledger query per budget for a burst (single-flight), the failure policy when Postgres is down
 * too, and the rebuild time for a key with a month of ledger rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { postgres, privateRedis } from '../../../../test-support/services.js';
import { BudgetExceeded, ServiceUnavailable } from '../../errors/catalogue.js';
import { PostgresSpendSink } from '../../usage/sinks/postgres.js';
import { makeEvent } from '../../usage/test/events.js';
import { migrateForUsage } from '../../usage/test/migrate.js';
import { TcpProxy } from '../../usage/test/tcp-proxy.js';
import { admissionConfigFromEnv } from '../config.js';
import { PostgresSpendLedger, type SpendLedger } from '../ledger.js';
import { RedisAdmission } from '../redis.js';
import type { AdmissionLogger, AdmissionTicket } from '../types.js';
import { principal, request } from './fixtures.js';

const silent: AdmissionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Usage events for `keyId`/`teamId` costing `usd` each, as the gateway records them. */
function spend(keyId: string, teamId: string, usd: number[], tag: string) {
  return usd.map((costUsd, i) => ({ ...makeEvent(i, `${tag}_${keyId}`), keyId, teamId, costUsd, time: Date.now() }));
}

test('spend recorded in the ledger still counts after Redis restarts empty', { timeout: 60_000 }, async (t) => {
  const db = await postgres(t);
  if (!db) return;
  const r = await privateRedis(t);
  if (!r) return db.close();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const sink = new PostgresSpendSink(pool);
  const flusher = new Redis(r.url, { maxRetriesPerRequest: 1 });
  let queries = 0;
  const ledger = new PostgresSpendLedger(pool);
  const counting: SpendLedger = { spentMicro: (...a) => (queries++, ledger.spentMicro(...a)) };
  const a = await RedisAdmission.create({ config: { ...admissionConfigFromEnv({ REDIS_URL: r.url }), prefix: r.prefix }, logger: silent, ledger: counting });
  const proxy = new TcpProxy('127.0.0.1', Number(new URL(db.url).port || 5432));
  try {
    await migrateForUsage(db.url);
    const p = principal('k-rebuild', { keyBudget: { maxUsd: 1, period: 'daily' }, team: { id: 't-rebuild', budget: { maxUsd: 10, period: 'monthly' } } });

    // $0.90 already spent today and recorded in the ledger (e.g. before this Redis existed).
    await sink.write(spend('k-rebuild', 't-rebuild', [0.3, 0.3, 0.3], 'before'));
    const first = await a.admit(request(p, { estimatedCostUsd: 0.05 }));
    assert.equal(queries, 2, 'key and team budgets seeded once each');
    await first.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0.05 });
    await sink.write(spend('k-rebuild', 't-rebuild', [0.05], 'first'));
    await assert.rejects(Promise.resolve().then(() => a.admit(request(p, { estimatedCostUsd: 0.1 }))), BudgetExceeded, '0.95 + 0.10 > 1');

    // Redis loses everything. The next request is judged against the rebuilt spend ($0.95), not $0.
    await flusher.flushdb();
    await assert.rejects(Promise.resolve().then(() => a.admit(request(p, { estimatedCostUsd: 0.1 }))), BudgetExceeded, 'refused against rebuilt spend');
    assert.equal(queries, 4);
    const ok = await a.admit(request(p, { estimatedCostUsd: 0.04 }));
    assert.equal(queries, 4, 'seeded once: no ledger query on the hot path');
    await ok.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0.04 });

    // A burst right after a flush: one ledger query per budget, and the budget still holds ($0.01 left).
    await flusher.flushdb();
    await sink.write(spend('k-rebuild', 't-rebuild', [0.04], 'ok'));
    const burst = await Promise.allSettled(Array.from({ length: 50 }, () => a.admit(request(p, { estimatedCostUsd: 0.004 }))));
    assert.equal(queries, 6, 'single-flight per budget');
    const admitted = burst.filter((x): x is PromiseFulfilledResult<AdmissionTicket> => x.status === 'fulfilled');
    assert.equal(admitted.length, 2, '$0.99 rebuilt: two reservations of $0.004 fit under $1');
    assert.ok(burst.every((x) => x.status === 'fulfilled' || x.reason instanceof BudgetExceeded));
    for (const x of admitted) await x.value.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0 });

    // Postgres unreachable while a budget must be rebuilt: closed (default) → 503; open → admitted unenforced.
    await proxy.start();
    const downPool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${proxy.port}/x`, max: 1, connectionTimeoutMillis: 500 });
    downPool.on('error', () => undefined);
    await proxy.stop();
    const closed = await RedisAdmission.create({ config: { ...admissionConfigFromEnv({ REDIS_URL: r.url }), prefix: r.prefix }, logger: silent, ledger: new PostgresSpendLedger(downPool) });
    const open = await RedisAdmission.create({
      config: { ...admissionConfigFromEnv({ REDIS_URL: r.url, SKYWAY_LIMITS_FAILURE_POLICY: 'budget=open' }), prefix: r.prefix },
      logger: silent,
      ledger: new PostgresSpendLedger(downPool),
    });
    try {
      await flusher.flushdb();
      await assert.rejects(
        Promise.resolve().then(() => closed.admit(request(p, { estimatedCostUsd: 0.01 }))),
        (e: ServiceUnavailable) => e instanceof ServiceUnavailable && e.code === 'limits_unavailable',
      );
      const unenforced = await open.admit(request(p, { estimatedCostUsd: 0.5 }));
      await unenforced.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0 });
      // Once Postgres answers (the healthy instance's ledger), the budget is rebuilt and enforced again.
      await assert.rejects(Promise.resolve().then(() => a.admit(request(p, { estimatedCostUsd: 0.1 }))), BudgetExceeded);
    } finally {
      await closed.close();
      await open.close();
      await downPool.end();
    }

    // Rebuild time for a key with a month of ledger rows (30 days × 3 models) among 3,000 other keys' rows.
    await pool.query(`insert into spend_daily (day, key_id, team_id, user_id, model, requests, cost_usd)
      select (date_trunc('month', now() at time zone 'UTC') + make_interval(days => d))::date, 'k-' || k, 't-' || (k % 50), '', 'm' || m, 1, 0.001
      from generate_series(0, 27) d, generate_series(0, 99) k, generate_series(0, 2) m on conflict do nothing`);
    const big = principal('k-7', { keyBudget: { maxUsd: 100, period: 'monthly' } });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await flusher.flushdb();
      const t0 = performance.now();
      const tk = await a.admit(request(big, { estimatedCostUsd: 0.001 }));
      times.push(performance.now() - t0);
      await tk.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0 });
    }
    const rows = (await pool.query<{ n: string }>(`select count(*) as n from spend_daily where key_id = 'k-7'`)).rows[0]!.n;
    times.sort((x, y) => x - y);
    t.diagnostic(`first admission after a flush (ledger seed, key with ${rows} spend_daily rows of 8,400): median ${times[2]!.toFixed(2)} ms`);
  } finally {
    flusher.disconnect();
    await a.close();
    await proxy.stop();
    await pool.end();
    await r.close();
    await db.close();
  }
});
