import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../../test-support/test-db.js';
import type { ChangeEvent } from '../../keys/events.js';
import { parseSigningSecrets } from '../../keys/signing-secrets.js';
import type { UsageEvent } from '../../usage/event.js';
import { PostgresSpendSink } from '../../usage/sinks/postgres.js';
import { startAdminServer } from '../server.js';
import { ConsoleSessions } from './session.js';

const MASTER = 'sk-master-console-keys-test';

function spend(i: number, keyId: string, teamId: string, costUsd: number): UsageEvent {
  return {
    requestId: `req-ck-${i}`, time: Date.now(), keyId, teamId, userId: null, model: 'mock-1', deployment: 'd1', provider: 'openai',
    region: 'local', operation: 'chat', status: 200, errorCode: null, latency: { totalMs: 10, overheadMs: 1, upstreamMs: 9, ttfbMs: null },
    tokens: { prompt: 10, completion: 5, cached: 0 }, costUsd, cacheHit: false, attempts: 1, stream: false,
  };
}

type Err = { error: { code: string; param: string | null; message: string } };

test('console keys: edit with validation, audit and change event; budget use; the member budget rule', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const events: ChangeEvent[] = [];
  const admin = await startAdminServer({ host: '127.0.0.1', port: 0, db: pg.db, masterKey: MASTER, signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS), secureCookie: true, onKeyChange: (e) => events.push(e) });
  t.after(() => admin.close());
  const call = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${MASTER}` }) => {
    const res = await fetch(admin.url + path, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : null });
    return { status: res.status, body: (await res.json()) as T };
  };

  const team = (await call<{ id: string }>('POST', '/admin/teams', { name: 'ck-team', models: ['mock-1', 'mock-2'], budget: { max_usd: 10, period: 'monthly' } })).body;
  const key = (await call<{ id: string }>('POST', '/admin/keys', { alias: 'ck-key', team_id: team.id, models: ['mock-1', 'mock-2'] })).body;

  await t.test('PATCH edits models, limits, per-model limits, budget and expiry; audited without the hash; replicas told', async () => {
    events.length = 0;
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const res = await call<{ models: string[]; limits: unknown; model_limits: unknown; budget: unknown; expires_at: string; status: string }>('PATCH', `/admin/keys/${key.id}`, {
      models: ['mock-2'], limits: { rpm: 60, tpm: 10_000, max_parallel: 2 }, model_limits: { 'mock-2': { rpm: 10 } }, budget: { max_usd: 3, period: 'weekly' }, expires_at: expires,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.models, ['mock-2']);
    assert.deepEqual(res.body.limits, { rpm: 60, tpm: 10_000, max_parallel: 2 });
    assert.deepEqual(res.body.model_limits, { 'mock-2': { rpm: 10 } });
    assert.deepEqual(res.body.budget, { max_usd: 3, period: 'weekly', alert_at: [] });
    assert.equal(Date.parse(res.body.expires_at), Date.parse(expires));
    assert.equal(res.body.status, 'active');
    assert.deepEqual(events.map((e) => [e.id, e.action]), [[key.id, 'updated']], 'one change event: every replica drops its cached copy');

    const audit = (await call<{ data: Array<{ action: string; before: Record<string, unknown>; after: Record<string, unknown> }> }>('GET', `/admin/audit?entity_type=key&entity_id=${key.id}`)).body.data;
    assert.equal(audit[0]!.action, 'key.update');
    assert.deepEqual(audit[0]!.before.allowed_models, ['mock-1', 'mock-2']);
    assert.deepEqual(audit[0]!.after.allowed_models, ['mock-2']);
    assert.equal(audit[0]!.after.budget_max_usd, '3.000000');
    assert.ok(!('key_hash' in audit[0]!.before) && !('key_hash' in audit[0]!.after), 'the key hash never reaches the audit log');

    // Leaving a field out keeps it; null clears it.
    const cleared = await call<{ budget: unknown; models: string[] | null; limits: unknown }>('PATCH', `/admin/keys/${key.id}`, { budget: null });
    assert.equal(cleared.body.budget, null);
    assert.deepEqual(cleared.body.models, ['mock-2']);
    assert.deepEqual(cleared.body.limits, { rpm: 60, tpm: 10_000, max_parallel: 2 });
  });

  await t.test('PATCH validation: clear 400/404/409 errors naming the field', async () => {
    const bad = async (id: string, body: unknown) => {
      const r = await call<Err>('PATCH', `/admin/keys/${id}`, body);
      return [r.status, r.body.error.code, r.body.error.param] as const;
    };
    assert.deepEqual(await bad(key.id, { limits: { rpm: -1 } }), [400, 'invalid_request', 'limits.rpm']);
    assert.deepEqual(await bad(key.id, { budget: { max_usd: 5, period: 'yearly' } }), [400, 'invalid_request', 'budget.period']);
    assert.deepEqual(await bad(key.id, { expires_at: 'tomorrow' }), [400, 'invalid_request', 'expires_at']);
    assert.deepEqual(await bad(key.id, { model_limits: { 'mock-1': { rpm: 5 } } }), [400, 'model_limits_unknown_model', 'model_limits'], 'mock-1 is no longer one of its models');
    assert.deepEqual(await bad(key.id, { models: ['mock-1'] }), [400, 'model_limits_unknown_model', 'model_limits'], 'would orphan the mock-2 limit');
    assert.deepEqual(await bad(key.id, { models: ['mock-2', 'mock-2'] }), [400, 'duplicate_model', 'models']);
    assert.deepEqual(await bad('key_nope', { alias: 'x' }), [404, 'resource_not_found', 'id']);
    const gone = (await call<{ id: string }>('POST', '/admin/keys', { alias: 'ck-gone' })).body;
    await call('POST', `/admin/keys/${gone.id}/revoke`, { reason: 'test' });
    assert.deepEqual(await bad(gone.id, { budget: { max_usd: 1, period: 'daily' } }), [409, 'key_not_active', null]);
    const viewerLike = await call<Err>('PATCH', `/admin/keys/${key.id}`, { alias: 'x' }, {});
    assert.equal(viewerLike.status, 401);
  });

  await t.test('budget use: spent and left this period, with the reset date, for keys and teams', async () => {
    await call('PATCH', `/admin/keys/${key.id}`, { budget: { max_usd: 2, period: 'monthly' } });
    await new PostgresSpendSink(pg.db).write([spend(1, key.id, team.id, 0.25), spend(2, key.id, team.id, 0.5), spend(3, 'key_other', team.id, 1)]);
    const unbudgeted = (await call<{ id: string }>('POST', '/admin/keys', { alias: 'ck-nobudget' })).body;
    const keys = (await call<{ data: Array<{ id: string; spent_usd: number; left_usd: number; max_usd: number; resets_at: string; period_start: string }> }>('GET', `/admin/budget-use?scope=key&ids=${key.id},${unbudgeted.id}`)).body.data;
    assert.deepEqual(keys.map((k) => k.id), [key.id], 'keys without a budget are left out');
    assert.equal(keys[0]!.spent_usd, 0.75);
    assert.equal(keys[0]!.left_usd, 1.25);
    const now = new Date();
    assert.equal(keys[0]!.resets_at, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString());
    assert.equal(keys[0]!.period_start, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10));
    const teams = (await call<{ data: Array<{ id: string; spent_usd: number; left_usd: number }> }>('GET', '/admin/budget-use?scope=team')).body.data;
    assert.deepEqual(teams.find((x) => x.id === team.id), { ...teams.find((x) => x.id === team.id)!, spent_usd: 1.75, left_usd: 8.25 });
    assert.equal((await call<Err>('GET', '/admin/budget-use?scope=key&ids=a;drop')).status, 400);
  });

  await t.test('members: a new key may not exceed the team budget left after what its other active keys may still spend', async () => {
    const small = (await call<{ id: string }>('POST', '/admin/teams', { name: 'ck-members', models: ['mock-1'], budget: { max_usd: 2, period: 'monthly' } })).body;
    const user = (await call<{ id: string }>('POST', '/admin/users', { email: 'ck@example.test', team_id: small.id })).body;
    // An admin's key in the team with a $1 budget, of which $0.25 is spent; the team has spent $0.25 + $0.25 elsewhere.
    const other = (await call<{ id: string }>('POST', '/admin/keys', { alias: 'ck-team-key', team_id: small.id, budget: { max_usd: 1, period: 'monthly' } })).body;
    await new PostgresSpendSink(pg.db).write([spend(10, other.id, small.id, 0.25), spend(11, 'key_unbudgeted', small.id, 0.25)]);
    // A revoked key's budget reserves nothing.
    const revoked = (await call<{ id: string }>('POST', '/admin/keys', { alias: 'ck-revoked', team_id: small.id, budget: { max_usd: 1, period: 'monthly' } })).body;
    await call('POST', `/admin/keys/${revoked.id}/revoke`, {});
    const { token, csrf } = new ConsoleSessions({ masterKey: MASTER, secureCookie: true }).issue({ actor: { id: 'ck@example.test', kind: 'oidc' }, role: 'member', teamId: small.id, userId: user.id });
    const as = { cookie: `skyway_console=${token}`, 'x-skyway-csrf': csrf };

    const mine = (await call<{ budget: { left_usd: number; reserved_usd: number; reserved_keys: number; available_usd: number } }>('GET', '/admin/me/team', undefined, as)).body.budget;
    // $2 − $0.50 spent = $1.50 left; the other key may still spend $0.75 of its $1: $0.75 available.
    assert.deepEqual(mine, { ...mine, left_usd: 1.5, reserved_usd: 0.75, reserved_keys: 1, available_usd: 0.75 });

    const over = await call<Err>('POST', '/admin/me/keys', { alias: 'ck-over', budget_usd: 1 }, as);
    assert.equal(over.status, 403, 'within what the team has left ($1.50), but not after the other key');
    assert.equal(over.body.error.code, 'key_budget_exceeds_team');
    assert.equal(over.body.error.param, 'budget_usd');
    assert.match(over.body.error.message, /exceeds what the team has left this period after its other keys' budgets: \$0\.75/);

    // Two members at once for $0.50 each: the team lock lets only one of them have it.
    const both = await Promise.all([call<Err>('POST', '/admin/me/keys', { alias: 'ck-a', budget_usd: 0.5 }, as), call<Err>('POST', '/admin/me/keys', { alias: 'ck-b', budget_usd: 0.5 }, as)]);
    assert.deepEqual(both.map((r) => r.status).sort(), [201, 403]);
    const after = (await call<{ budget: { available_usd: number; reserved_keys: number } }>('GET', '/admin/me/team', undefined, as)).body.budget;
    assert.equal(after.reserved_keys, 2);
    assert.ok(Math.abs(after.available_usd - 0.25) < 1e-9);
    assert.equal((await call<Err>('POST', '/admin/me/keys', { alias: 'ck-c', budget_usd: 0.25 }, as)).status, 201, 'exactly what is available fits');
    // Their own keys' budget use, and only theirs (not the admin's key in the same team).
    const use = (await call<{ data: Array<{ id: string; max_usd: number; spent_usd: number }> }>('GET', '/admin/me/budget-use', undefined, as)).body.data;
    assert.deepEqual(use.map((u) => u.max_usd).sort(), [0.25, 0.5]);
    assert.ok(!use.some((u) => u.id === other.id));
    assert.equal((await call<Err>('GET', '/admin/me/budget-use')).status, 403, 'member routes only for members');
  });

  await t.test('more members at once than the pool has connections: no deadlock, and the allowance is never oversold', async () => {
    const crowd = (await call<{ id: string }>('POST', '/admin/teams', { name: 'ck-crowd', budget: { max_usd: 1, period: 'daily' } })).body;
    const user = (await call<{ id: string }>('POST', '/admin/users', { email: 'crowd@example.test', team_id: crowd.id })).body;
    const { token, csrf } = new ConsoleSessions({ masterKey: MASTER, secureCookie: true }).issue({ actor: { id: 'crowd@example.test', kind: 'oidc' }, role: 'member', teamId: crowd.id, userId: user.id });
    const as = { cookie: `skyway_console=${token}`, 'x-skyway-csrf': csrf };
    // The test pool has 4 connections; six creates of $0.30 against $1: three fit.
    const all = await Promise.all([...Array(6).keys()].map((i) => call<Err>('POST', '/admin/me/keys', { alias: `ck-crowd-${i}`, budget_usd: 0.3 }, as)));
    assert.deepEqual(all.map((r) => r.status).sort(), [201, 201, 201, 403, 403, 403]);
  });
});
