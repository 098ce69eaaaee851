/**
 * One budget across regions (#14): two "regions" (two key prefixes on a real Redis, each with its own
 * RedisAdmission) admit against leases of one global spend ledger in a real Postgres database.
 * - 200 concurrent requests split between them for a budget of N requests' worth: at most N admitted (the
 *   guarantee is N + one per region); the same traffic without leases admits 2N (the test can tell).
 * - a lease is refilled in the background before it runs out (one synchronous grant for a sequence of requests);
 * - the ledger unreachable: held leases keep admitting, then 503 budget_ledger_unavailable (closed) or
 *   admitted without the budget (open);
 * - period rollover: a new period gets a new lease; the ended period's unused lease is given back.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { postgres, redis, type RedisHandle } from '../../../../test-support/services.js';
import { migrate } from '../../db/migrate.js';
import { BudgetExceeded, ServiceUnavailable } from '../../errors/catalogue.js';
import { TcpProxy } from '../../usage/test/tcp-proxy.js';
import { admissionConfigFromEnv } from '../config.js';
import { PostgresLeaseLedger, type GrantRequest, type LeaseLedger } from '../lease-ledger.js';
import { leaseLedgerUrl } from '../ledger-env.js';
import { RedisAdmission } from '../redis.js';
import type { AdmissionLogger, AdmissionTicket } from '../types.js';
import { principal, request } from './fixtures.js';

const silent: AdmissionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const COST = 0.01;

interface Setup {
  pool: pg.Pool;
  r: RedisHandle;
  url: string;
  close(): Promise<void>;
}

async function setup(t: TestContext): Promise<Setup | undefined> {
  const db = await postgres(t);
  if (!db) return undefined;
  const r = await redis(t);
  if (!r) {
    await db.close();
    return undefined;
  }
  await migrate(db.url);
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  return { pool, r, url: db.url, close: async () => (await pool.end(), await r.close(), await db.close()) };
}

function region(s: Setup, name: string, ledger: LeaseLedger | undefined, env: NodeJS.ProcessEnv = {}): Promise<RedisAdmission> {
  return RedisAdmission.create({
    config: { ...admissionConfigFromEnv({ REDIS_URL: s.r.url, ...env }), prefix: `${s.r.prefix}${name}:` },
    logger: silent,
    leases: ledger && { ledger, config: { region: name, fraction: 0.1, timeoutMs: 2000 } },
  });
}

async function burst(regions: RedisAdmission[], keyId: string, budgetUsd: number, total: number): Promise<{ admitted: number; refused: number }> {
  const p = principal(keyId, { keyBudget: { maxUsd: budgetUsd, period: 'daily' } });
  const results = await Promise.allSettled(Array.from({ length: total }, (_, i) => Promise.resolve().then(() => regions[i % regions.length]!.admit(request(p, { estimatedCostUsd: COST })))));
  const admitted = results.filter((x): x is PromiseFulfilledResult<AdmissionTicket> => x.status === 'fulfilled');
  for (const x of results) if (x.status === 'rejected') assert.ok(x.reason instanceof BudgetExceeded, `refusals are budget_exceeded, got ${String(x.reason)}`);
  await Promise.all(admitted.map((x) => x.value.settle({ promptTokens: 1, completionTokens: 1, costUsd: COST })));
  return { admitted: admitted.length, refused: total - admitted.length };
}

test('200 concurrent requests over two regions admit at most the budget (N + one per region)', { timeout: 120_000 }, async (t) => {
  const s = await setup(t);
  if (!s) return;
  const ledger = new PostgresLeaseLedger(s.pool);
  const a = await region(s, 'r-a', ledger);
  const b = await region(s, 'r-b', ledger);
  try {
    const N = 40;
    const { admitted, refused } = await burst([a, b], 'k-global', N * COST, 200);
    t.diagnostic(`budget ${N} requests' worth: admitted ${admitted}, refused ${refused}; ledger grants a=${a.leases!.calls.grants} b=${b.leases!.calls.grants}`);
    assert.ok(admitted <= N + 2, `admitted ${admitted} > N + one per region`);
    assert.ok(admitted <= N, `leases never over-grant: ${admitted} ≤ ${N}`);
    assert.ok(admitted >= N - 2, `at most one request's worth stranded per region (admitted ${admitted})`);
    t.diagnostic(`admissions that waited for a grant: a=${a.leases!.calls.waits} b=${b.leases!.calls.waits}`);

    // The ledger: leases within the budget, spend reported in batches equals what was admitted.
    await a.leases!.flush();
    await b.leases!.flush();
    const l = await s.pool.query<{ granted: string; spent: string; regions: string }>(
      `select (select sum(granted_micro) from budget_leases where scope_id = 'k-global')::text as granted,
              (select sum(spent_micro) from budget_spend where scope_id = 'k-global')::text as spent,
              (select count(*) from budget_spend where scope_id = 'k-global')::text as regions`,
    );
    assert.ok(Number(l.rows[0]!.granted) <= N * COST * 1e6, 'Σ leases ≤ budget');
    assert.equal(Number(l.rows[0]!.spent), Math.round(admitted * COST * 1e6), 'settled spend reached the ledger');
    assert.equal(l.rows[0]!.regions, '2');

    // Control: the same traffic without leases (each region's Redis alone) admits the budget once per region.
    const a0 = await region(s, 'r-a0', undefined);
    const b0 = await region(s, 'r-b0', undefined);
    const control = await burst([a0, b0], 'k-control', N * COST, 200);
    await a0.close();
    await b0.close();
    assert.equal(control.admitted, 2 * N, 'without leases a budget holds per region only');
  } finally {
    await a.close();
    await b.close();
    await s.close();
  }
});

test('a lease is refilled in the background before it runs out, in chunks of the budget', { timeout: 60_000 }, async (t) => {
  const s = await setup(t);
  if (!s) return;
  const inner = new PostgresLeaseLedger(s.pool);
  const needs: number[] = [];
  const grantMs: number[] = [];
  const counting: LeaseLedger = {
    grant: async (req: GrantRequest, signal?: AbortSignal) => {
      needs.push(req.needMicro);
      const t0 = performance.now();
      try {
        return await inner.grant(req, signal);
      } finally {
        grantMs.push(performance.now() - t0);
      }
    },
    regionLease: (scope, r) => inner.regionLease(scope, r),
    addSpend: (r, d) => inner.addSpend(r, d),
    closeEnded: (r, before) => inner.closeEnded(r, before),
  };
  const a = await region(s, 'r-a', counting);
  try {
    const p = principal('k-refill', { keyBudget: { maxUsd: 1, period: 'daily' } });
    for (let i = 0; i < 30; i++) {
      const ticket = await a.admit(request(p, { estimatedCostUsd: COST }));
      await ticket.settle({ promptTokens: 1, completionTokens: 1, costUsd: COST });
      await a.leases!.idle(); // requests spaced out: each background refill completes before the next one
    }
    const sync = a.leases!.calls.waits;
    const sorted = [...grantMs].sort((x, y) => x - y);
    t.diagnostic(`30 requests of $0.01, budget $1, chunk 10 %: ${needs.length} grants (${sync} synchronous); grant round trip (local Postgres) median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms`);
    assert.equal(sync, 1, 'only the first request waited for the ledger');
    assert.ok(needs.length >= 3 && needs.length <= 5, `about one grant per chunk: ${needs.length}`);
    const row = await s.pool.query<{ granted: string }>(`select granted_micro::text as granted from budget_leases where scope_id = 'k-refill'`);
    const granted = Number(row.rows[0]!.granted);
    assert.ok(granted >= 300_000 && granted < 1_000_000, `lease covers the spend without taking the whole budget: ${granted}`);
  } finally {
    await a.close();
    await s.close();
  }
});

test('ledger unreachable: held leases keep admitting, then the budget failure policy applies', { timeout: 60_000 }, async (t) => {
  const s = await setup(t);
  if (!s) return;
  const proxy = new TcpProxy('127.0.0.1', Number(new URL(s.url).port || 5432));
  await proxy.start();
  const via = new URL(s.url);
  via.host = `127.0.0.1:${proxy.port}`;
  const far = new pg.Pool({ connectionString: via.toString(), max: 2, connectionTimeoutMillis: 500 });
  far.on('error', () => undefined);
  const closed = await region(s, 'r-closed', new PostgresLeaseLedger(far));
  const open = await region(s, 'r-open', new PostgresLeaseLedger(far), { SKYWAY_LIMITS_FAILURE_POLICY: 'budget=open' });
  try {
    const p = principal('k-down', { keyBudget: { maxUsd: 1, period: 'daily' } });
    // First requests: a lease of $0.10 (10 requests) each, then the primary region goes away.
    await (await closed.admit(request(p, { estimatedCostUsd: COST }))).settle({ promptTokens: 1, completionTokens: 1, costUsd: COST });
    await (await open.admit(request(p, { estimatedCostUsd: COST }))).settle({ promptTokens: 1, completionTokens: 1, costUsd: COST });
    await closed.leases!.idle();
    await open.leases!.idle();
    await proxy.stop();

    let held = 0;
    for (;;) {
      try {
        const ticket = await closed.admit(request(p, { estimatedCostUsd: COST }));
        held++;
        await ticket.settle({ promptTokens: 1, completionTokens: 1, costUsd: COST });
      } catch (err) {
        assert.ok(err instanceof ServiceUnavailable, `503, got ${String(err)}`);
        assert.equal(err.code, 'budget_ledger_unavailable');
        assert.equal(err.status, 503);
        break;
      }
      assert.ok(held < 100, 'the held lease must run out');
    }
    t.diagnostic(`requests served from the held lease while the ledger was down: ${held}`);
    assert.equal(held, 9, 'the rest of the $0.10 lease');
    // budget=open: past its lease the region admits without the budget (counted as a fallback).
    for (let i = 0; i < 15; i++) await (await open.admit(request(p, { estimatedCostUsd: COST }))).settle({ promptTokens: 1, completionTokens: 1, costUsd: COST });

    // The primary returns: grants resume, and the spend kept meanwhile reaches the ledger.
    await proxy.start();
    await (await closed.admit(request(p, { estimatedCostUsd: COST }))).settle({ promptTokens: 1, completionTokens: 1, costUsd: COST });
    await closed.leases!.flush();
    const spent = await s.pool.query<{ m: string }>(`select spent_micro::text as m from budget_spend where scope_id = 'k-down' and region = 'r-closed'`);
    assert.equal(Number(spent.rows[0]!.m), (held + 2) * COST * 1e6);
  } finally {
    await closed.close();
    await open.close();
    await far.end().catch(() => undefined);
    await proxy.stop();
    await s.close();
  }
});

test('period rollover: a new period starts a new lease; the ended one gives back what it did not spend', { timeout: 60_000 }, async (t) => {
  const s = await setup(t);
  if (!s) return;
  t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 2, 1, 23, 59, 0) });
  const ledger = new PostgresLeaseLedger(s.pool);
  const a = await region(s, 'r-a', ledger);
  const b = await region(s, 'r-b', ledger);
  try {
    const N = 10;
    const day1 = await burst([a, b], 'k-roll', N * COST, 30);
    assert.ok(day1.admitted <= N && day1.admitted >= N - 2, `day 1: ${day1.admitted}`);
    await assert.rejects(Promise.resolve().then(() => a.admit(request(principal('k-roll', { keyBudget: { maxUsd: N * COST, period: 'daily' } }), { estimatedCostUsd: COST }))), BudgetExceeded);

    t.mock.timers.tick(2 * 60_000); // 2026-03-02T00:01Z: a new daily period
    const day2 = await burst([a, b], 'k-roll', N * COST, 30);
    assert.ok(day2.admitted <= N && day2.admitted >= N - 2, `day 2: ${day2.admitted}`);

    // Leases of 2026-03-01 are closed (after the grace for late settlements); 2026-03-02's stay open.
    await a.leases!.flush();
    await b.leases!.flush();
    assert.equal(await a.leases!.closeEnded(Date.now() + 11 * 60_000), 1);
    assert.equal(await b.leases!.closeEnded(Date.now() + 11 * 60_000), 1);
    const rows = await s.pool.query<{ period: string; granted: string; returned: string; spent: string; closed: boolean }>(
      `select l.period, sum(l.granted_micro)::text as granted, sum(l.returned_micro)::text as returned, sum(s.spent_micro)::text as spent, bool_and(l.closed_at is not null) as closed
         from budget_leases l left join budget_spend s using (scope_kind, scope_id, period, region) where l.scope_id = 'k-roll' group by l.period order by l.period`,
    );
    assert.deepEqual(rows.rows.map((x) => x.period), ['d20260301', 'd20260302']);
    const [d1, d2] = rows.rows;
    assert.equal(d1!.closed, true);
    assert.equal(Number(d1!.granted) - Number(d1!.returned), Number(d1!.spent), 'what was not spent is given back');
    assert.equal(Number(d1!.spent), day1.admitted * COST * 1e6);
    assert.equal(d2!.closed, false);
    assert.equal(d2!.returned, '0');
  } finally {
    await a.close();
    await b.close();
    await s.close();
  }
});

test('leases only where the ledger is not the regional store: npm start and a single region keep today\'s path', () => {
  const cfg = (leases: 'auto' | 'on' | 'off') => ({ leases, redisUrl: 'redis://r' });
  assert.equal(leaseLedgerUrl(cfg('auto'), { DATABASE_URL: 'postgres://a' }), undefined, 'one database: the current path');
  assert.equal(leaseLedgerUrl(cfg('auto'), {}), undefined, 'no database at all');
  assert.equal(leaseLedgerUrl(cfg('auto'), { DATABASE_URL: 'postgres://a', CONFIG_DATABASE_URL: 'postgres://a' }), undefined);
  assert.equal(leaseLedgerUrl(cfg('auto'), { DATABASE_URL: 'postgres://a', CONFIG_DATABASE_URL: 'postgres://writer' }), 'postgres://writer', 'primary region: its config-store writer');
  assert.equal(leaseLedgerUrl(cfg('auto'), { DATABASE_URL: 'postgres://a', CONFIG_DATABASE_URL: 'postgres://reader', SKYWAY_LEDGER_DATABASE_URL: 'postgres://fwd' }), 'postgres://fwd', 'secondary: write forwarding');
  assert.equal(leaseLedgerUrl(cfg('off'), { DATABASE_URL: 'postgres://a', CONFIG_DATABASE_URL: 'postgres://writer' }), undefined);
  assert.equal(leaseLedgerUrl(cfg('on'), { DATABASE_URL: 'postgres://a' }), 'postgres://a');
  assert.equal(leaseLedgerUrl({ leases: 'auto', redisUrl: undefined }, { DATABASE_URL: 'postgres://a', CONFIG_DATABASE_URL: 'postgres://writer' }), undefined, 'leases are enforced in Redis only');
  assert.equal(admissionConfigFromEnv({}).leases, 'auto');
  assert.throws(() => admissionConfigFromEnv({ SKYWAY_BUDGET_LEASES: 'yes' }), /SKYWAY_BUDGET_LEASES/);
  assert.throws(() => admissionConfigFromEnv({ SKYWAY_BUDGET_LEASE_FRACTION: '2' }), /SKYWAY_BUDGET_LEASE_FRACTION/);
});

test('SKYWAY_RATE_LIMIT_REGIONS: each region enforces its share of an RPM limit', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const regions = await Promise.all(
    ['r-a', 'r-b'].map((name) => RedisAdmission.create({ config: { ...admissionConfigFromEnv({ REDIS_URL: r.url, SKYWAY_RATE_LIMIT_REGIONS: '2' }), prefix: `${r.prefix}${name}:` }, logger: silent })),
  );
  try {
    const p = principal('k-rpm', { key: { rpm: 9 } });
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => Promise.resolve().then(() => regions[i % 2]!.admit(request(p)))));
    const admitted = results.filter((x) => x.status === 'fulfilled').length;
    assert.equal(admitted, 10, 'ceil(9 / 2) = 5 per region: 10 in all (limit + regions − 1)');
    const first = results.find((x): x is PromiseFulfilledResult<AdmissionTicket> => x.status === 'fulfilled')!;
    assert.equal(first.value.headers['x-ratelimit-limit-requests'], '5', 'the headers say the region\'s share');
  } finally {
    for (const a of regions) await a.close();
    await r.close();
  }
});

test('ledger: 60 concurrent grants from six regions never grant more than the budget', { timeout: 60_000 }, async (t) => {
  const s = await setup(t);
  if (!s) return;
  const ledger = new PostgresLeaseLedger(s.pool);
  try {
    const budget = 1_000_000;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        ledger.grant({ kind: 'team', id: 't-race', period: 'm202611', region: `r${i % 6}`, budgetMicro: budget, periodEndMs: undefined, needMicro: 10_000, wantMicro: 100_000 }),
      ),
    );
    const granted = results.reduce((sum, r) => sum + r.grantedMicro, 0);
    const rows = await s.pool.query<{ leases: string; scope: string }>(
      `select (select sum(granted_micro) from budget_leases where scope_id = 't-race')::text as leases, (select granted_micro from budget_scopes where scope_id = 't-race')::text as scope`,
    );
    t.diagnostic(`granted ${granted} of ${budget} micro-USD in ${results.filter((r) => r.grantedMicro > 0).length} grants`);
    assert.ok(granted <= budget, `granted ${granted} > budget`);
    assert.equal(granted, budget - (budget % 10_000), 'the whole budget is granted when asked for');
    assert.equal(Number(rows.rows[0]!.leases), granted, 'Σ region leases = the scope row = what the calls returned');
    assert.equal(Number(rows.rows[0]!.scope), granted);
    for (const r of results) assert.ok(r.grantedMicro % 10_000 === 0, 'grants are multiples of the need');
  } finally {
    await s.close();
  }
});
