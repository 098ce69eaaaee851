import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migratedDb } from '../../../test-support/test-db.js';
import { checkBudgetAlerts } from './budget-alerts.js';

test('budget alerts fire once per threshold and period, from the spend aggregates', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  await pg.db.query("insert into teams (id, name, budget_max_usd, budget_period, budget_alert_at) values ('t1', 'one', 10, 'monthly', '{0.5,0.9}'), ('t2', 'two', 10, 'daily', '{}')");
  await pg.db.query("insert into virtual_keys (id, key_hash, signing_secret_version, team_id, budget_max_usd, budget_period, budget_alert_at) values ('k1', 'h', 1, 't1', 1, 'daily', '{1}')");
  const spend = (key: string, team: string, usd: number, day = "(now() at time zone 'utc')::date") =>
    pg.db.query(`insert into spend_daily (day, key_id, team_id, model, requests, cost_usd) values (${day}, $1, $2, 'm', 1, $3)
      on conflict (day, key_id, team_id, user_id, model) do update set cost_usd = spend_daily.cost_usd + excluded.cost_usd`, [key, team, usd]);

  await spend('k1', 't1', 0.6);
  await spend('k1', 't1', 100, "date '1999-01-01'"); // outside every current period
  assert.deepEqual(await checkBudgetAlerts(pg.db), []);
  await spend('k1', 't1', 4.6);
  const first = await checkBudgetAlerts(pg.db);
  assert.deepEqual(first.map((a) => `${a.scope}:${a.id}:${a.threshold}`).sort(), ['key:k1:1', 'team:t1:0.5']);
  assert.equal(first.find((a) => a.scope === 'team')!.spentUsd, 5.2);
  assert.deepEqual(await checkBudgetAlerts(pg.db), [], 'each alert fires once');
  await spend('k1', 't1', 4);
  assert.deepEqual((await checkBudgetAlerts(pg.db)).map((a) => `${a.scope}:${a.threshold}`), ['team:0.9']);
});

test('budget alerts with two stores: budgets from the config store, spend and fired alerts from the regional store', async (t) => {
  const config = await migratedDb(t);
  const regional = await migratedDb(t);
  if (!config || !regional) return;
  t.after(() => config.close());
  t.after(() => regional.close());
  await config.db.query("insert into teams (id, name, budget_max_usd, budget_period, budget_alert_at) values ('t1', 'one', 10, 'monthly', '{0.5}')");
  await regional.db.query("insert into spend_daily (day, key_id, team_id, model, requests, cost_usd) values ((now() at time zone 'utc')::date, 'k', 't1', 'm', 1, 6)");
  const fired = await checkBudgetAlerts(config.db, regional.db);
  assert.deepEqual(fired.map((a) => `${a.scope}:${a.id}:${a.threshold}:${a.spentUsd}`), ['team:t1:0.5:6']);
  assert.equal((await regional.db.query('select count(*)::int as n from budget_alerts')).rows[0].n, 1);
  assert.equal((await config.db.query('select count(*)::int as n from budget_alerts')).rows[0].n, 0);
});
