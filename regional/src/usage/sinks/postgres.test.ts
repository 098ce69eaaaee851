import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { postgres } from '../../../../test-support/services.js';
import { migrateForUsage } from '../test/migrate.js';
import { makeEvent } from '../test/events.js';
import { PostgresSpendSink } from './postgres.js';

test('Postgres sink: ledger + daily aggregates in one statement, replay adds nothing', async (t) => {
  const db = await postgres(t);
  if (!db) return;
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await migrateForUsage(db.url);
    const sink = new PostgresSpendSink(pool);
    const signal = new AbortController().signal;
    const batch = Array.from({ length: 500 }, (_, i) => makeEvent(i, 'pg'));
    batch[0] = { ...batch[0]!, keyId: null }; // the master key
    await sink.write(batch, signal);
    await sink.write(batch, signal); // replayed batch
    await sink.write([batch[1]!, batch[1]!, makeEvent(9999, 'pg')], signal); // repeats inside and across batches
    const ledger = await pool.query<{ n: string }>('select count(*) as n from usage_events');
    assert.equal(Number(ledger.rows[0]!.n), 501);
    const agg = await pool.query<{ requests: string; cost: string; prompt: string }>(
      'select sum(requests) as requests, sum(cost_usd) as cost, sum(prompt_tokens) as prompt from spend_daily',
    );
    const events = [...batch, makeEvent(9999, 'pg')];
    assert.equal(Number(agg.rows[0]!.requests), 501);
    assert.equal(Number(agg.rows[0]!.prompt), events.reduce((s, e) => s + e.tokens.prompt, 0));
    assert.ok(Math.abs(Number(agg.rows[0]!.cost) - events.reduce((s, e) => s + e.costUsd, 0)) < 1e-6);
    // Per-key view (the README's top-spenders query) sees the master key as ''.
    const top = await pool.query<{ key_id: string }>(
      `select key_id, sum(cost_usd) as usd from spend_daily where day >= current_date - 30 group by key_id order by usd desc limit 10`,
    );
    assert.ok(top.rows.some((r) => r.key_id === ''));
  } finally {
    await pool.end();
    await db.close();
  }
});
