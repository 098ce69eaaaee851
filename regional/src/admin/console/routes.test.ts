import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../../test-support/test-db.js';
import { parseSigningSecrets } from '../../keys/signing-secrets.js';
import type { UsageEvent } from '../../usage/event.js';
import { LocalClickHouseFilesSink } from '../../usage/sinks/local-clickhouse.js';
import { PostgresSpendSink } from '../../usage/sinks/postgres.js';
import { startAdminServer } from '../server.js';
import { ConsoleSessions } from './session.js';

const MASTER = 'sk-master-console-test';
const DAY = 86_400_000;

function event(i: number, over: Partial<UsageEvent>): UsageEvent {
  return {
    requestId: `req-console-${i}`, time: Date.now(), keyId: 'key_a', teamId: 'team_a', userId: null, model: 'mock-1', deployment: 'd1', provider: 'openai',
    region: 'local', operation: 'chat', status: 200, errorCode: null, latency: { totalMs: 10 * (i + 1), overheadMs: i + 1, upstreamMs: 9 * (i + 1), ttfbMs: null },
    tokens: { prompt: 10, completion: 5, cached: 0 }, costUsd: 0.001, cacheHit: false, attempts: 1, stream: false, ...over,
  };
}

test('console routes: sessions with CSRF, spend series, overview and request search', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'skyway-console-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // Usage written by the real sinks, as the gateway writes it: today and two days ago, one error.
  const events = [
    event(0, {}), event(1, { model: 'mock-2' }), event(2, { status: 429, errorCode: 'rate_limit_exceeded', costUsd: 0 }),
    event(3, { time: Date.now() - 2 * DAY, keyId: 'key_b', teamId: 'team_b', costUsd: 0.5 }),
  ];
  await new PostgresSpendSink(pg.db).write(events);
  await new LocalClickHouseFilesSink(join(dataDir, 'clickhouse')).write(events, new AbortController().signal);

  const admin = await startAdminServer({ host: '127.0.0.1', port: 0, db: pg.db, masterKey: MASTER, signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS), dataDir, secureCookie: true });
  t.after(() => admin.close());
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    fetch(admin.url + path, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : null });

  await t.test('sign-in sets a locked-down cookie; the cookie alone is refused, cookie + CSRF header accepted', async () => {
    // A cross-site HTML form can only send text/plain: refused before the credential is even looked at.
    const form = await fetch(admin.url + '/admin/session', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ credential: MASTER }) });
    assert.equal(form.status, 400);
    assert.equal(form.headers.get('set-cookie'), null);
    const bad = await call('POST', '/admin/session', {}, { credential: 'wrong' });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('set-cookie'), null);
    const res = await call('POST', '/admin/session', {}, { credential: MASTER });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie')!;
    assert.match(cookie, /^skyway_console=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    const session = (await res.json()) as { role: string; csrf_token: string; actor: string };
    assert.equal(session.role, 'admin');
    assert.equal(session.actor, 'master');
    const jar = cookie.split(';')[0]!;

    const noCsrf = await call('GET', '/admin/keys', { cookie: jar });
    assert.equal(noCsrf.status, 403);
    assert.equal(((await noCsrf.json()) as { error: { code: string } }).error.code, 'csrf_token_invalid');
    const wrongCsrf = await call('POST', '/admin/teams', { cookie: jar, 'x-skyway-csrf': session.csrf_token + 'x' }, { name: 'nope' });
    assert.equal(wrongCsrf.status, 403);
    const ok = await call('POST', '/admin/teams', { cookie: jar, 'x-skyway-csrf': session.csrf_token }, { name: 'console-team' });
    assert.equal(ok.status, 201);
    // The audit names who acted through the session.
    const audit = (await (await call('GET', '/admin/audit?entity_type=team', { authorization: `Bearer ${MASTER}` })).json()) as { data: Array<{ actor: string }> };
    assert.equal(audit.data[0]!.actor, 'master');

    // GET /admin/session with the cookie alone hands the page its CSRF token (another origin cannot read it).
    const who = (await (await call('GET', '/admin/session', { cookie: jar })).json()) as { csrf_token: string };
    assert.equal(who.csrf_token, session.csrf_token);
    // A tampered cookie is refused.
    const tampered = await call('GET', '/admin/session', { cookie: jar.slice(0, -2) + 'xx' });
    assert.equal(tampered.status, 401);
    const out = await call('DELETE', '/admin/session', { cookie: jar });
    assert.match(out.headers.get('set-cookie')!, /Max-Age=0/);
  });

  const bearer = { authorization: `Bearer ${MASTER}` };
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 6 * DAY).toISOString().slice(0, 10);

  await t.test('spend series: one value per day per model, zero-filled', async () => {
    const s = (await (await call('GET', `/admin/spend/series?group_by=model&from=${from}&to=${today}`, bearer)).json()) as { days: string[]; series: Array<{ group: string; cost_usd: number[]; requests: number[] }> };
    assert.equal(s.days.length, 7);
    assert.equal(s.days.at(-1), today);
    const m1 = s.series.find((x) => x.group === 'mock-1')!;
    assert.equal(m1.requests.at(-1), 2, 'two mock-1 requests today (one of them the 429)');
    assert.equal(m1.requests.at(-3), 1, 'one two days ago');
    assert.ok(Math.abs(m1.cost_usd.at(-3)! - 0.5) < 1e-9);
    assert.equal(s.series[0]!.group, 'mock-1', 'ranked by cost');
    const byTeam = (await (await call('GET', `/admin/spend/series?group_by=team&top=1&from=${from}&to=${today}`, bearer)).json()) as { series: Array<{ group: string }> };
    assert.deepEqual(byTeam.series.map((x) => x.group), ['team_b', 'other']);
  });

  await t.test('request search filters and pages newest first', async () => {
    const all = (await (await call('GET', `/admin/requests?from=${from}&to=${today}&limit=2`, bearer)).json()) as { data: Array<{ request_id: string }>; has_more: boolean; next_cursor: string };
    assert.equal(all.data.length, 2);
    assert.equal(all.has_more, true);
    const rest = (await (await call('GET', `/admin/requests?from=${from}&to=${today}&limit=2&cursor=${all.next_cursor}`, bearer)).json()) as { data: Array<{ request_id: string }>; has_more: boolean };
    assert.equal(rest.has_more, false);
    assert.deepEqual(new Set([...all.data, ...rest.data].map((r) => r.request_id)), new Set(events.map((e) => e.requestId)));
    assert.equal(rest.data.at(-1)!.request_id, 'req-console-3', 'the oldest last');
    const errors = (await (await call('GET', `/admin/requests?status=error&from=${from}&to=${today}`, bearer)).json()) as { data: Array<{ request_id: string; error_code: string }> };
    assert.deepEqual(errors.data.map((r) => r.error_code), ['rate_limit_exceeded']);
    const byKey = (await (await call('GET', `/admin/requests?key_id=key_b&from=${from}&to=${today}`, bearer)).json()) as { data: unknown[] };
    assert.equal(byKey.data.length, 1);
    const bad = await call('GET', '/admin/requests?status=maybe', bearer);
    assert.equal(bad.status, 400);
  });

  await t.test('overview: totals, error rate and latency percentiles for the period', async () => {
    const o = (await (await call('GET', `/admin/overview?from=${from}&to=${today}`, bearer)).json()) as {
      spend: { requests: number; cost_usd: number }; by_team: Array<{ group: string }>; requests: { count: number; errors: number; error_rate: number; p50_ms: number; p95_ms: number };
    };
    assert.equal(o.spend.requests, 4);
    assert.ok(Math.abs(o.spend.cost_usd - 0.502) < 1e-9);
    assert.equal(o.by_team[0]!.group, 'team_b');
    assert.equal(o.requests.count, 4);
    assert.equal(o.requests.errors, 1);
    assert.equal(o.requests.error_rate, 0.25);
    assert.equal(o.requests.p50_ms, 20);
    assert.equal(o.requests.p95_ms, 40);
  });

  await t.test('the console is served with a strict CSP; /console redirects', async () => {
    const r = await fetch(admin.url + '/console', { redirect: 'manual' });
    assert.equal(r.status, 308);
    const page = await fetch(admin.url + '/console/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
    const html = await page.text();
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(admin.url + asset);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control')!, /immutable/);
    assert.equal((await fetch(admin.url + '/console/assets/nope.js')).status, 404);
  });

  await t.test('members: only the self-service routes, own keys only, models and budget within the team', async () => {
    const team = (await (await call('POST', '/admin/teams', bearer, { name: 'members', models: ['mock-1'], budget: { max_usd: 2, period: 'monthly' } })).json()) as { id: string };
    const user = (await (await call('POST', '/admin/users', bearer, { email: 'm@example.test', team_id: team.id })).json()) as { id: string };
    // Spend already recorded for the team this month leaves $1.50.
    await new PostgresSpendSink(pg.db).write([event(10, { teamId: team.id, keyId: 'key_x', costUsd: 0.5 })]);
    const { token, csrf } = new ConsoleSessions({ masterKey: MASTER, secureCookie: true }).issue({ actor: { id: 'm@example.test', kind: 'oidc' }, role: 'member', teamId: team.id, userId: user.id });
    const as = { cookie: `skyway_console=${token}`, 'x-skyway-csrf': csrf };

    assert.equal((await call('GET', '/admin/keys', as)).status, 403, 'the admin list is closed to members');
    assert.equal((await call('POST', '/admin/me/keys', bearer, { budget_usd: 1 })).status, 403, 'and the member routes to the master key');
    const mine = (await (await call('GET', '/admin/me/team', as)).json()) as { budget: { left_usd: number; spent_usd: number } };
    assert.equal(mine.budget.spent_usd, 0.5);
    assert.equal(mine.budget.left_usd, 1.5);

    const over = await call('POST', '/admin/me/keys', as, { alias: 'big', budget_usd: 1.6 });
    assert.equal(over.status, 403);
    assert.equal(((await over.json()) as { error: { code: string } }).error.code, 'key_budget_exceeds_team');
    assert.equal(((await (await call('POST', '/admin/me/keys', as, { alias: 'nobudget' })).json()) as { error: { code: string } }).error.code, 'key_budget_required');
    assert.equal(((await (await call('POST', '/admin/me/keys', as, { budget_usd: 1, models: ['gpt-4o'] })).json()) as { error: { code: string } }).error.code, 'model_not_allowed_for_team');
    const ok = await call('POST', '/admin/me/keys', as, { alias: 'fits', budget_usd: 1.5 });
    assert.equal(ok.status, 201);
    const key = (await ok.json()) as { id: string; team_id: string; user_id: string; models: string[]; budget: { max_usd: number; period: string } };
    assert.deepEqual([key.team_id, key.user_id, key.models, key.budget], [team.id, user.id, ['mock-1'], { max_usd: 1.5, period: 'monthly', alert_at: [] }]);

    // Someone else's key in the same database is invisible to the member.
    const other = (await (await call('POST', '/admin/keys', bearer, { alias: 'not-theirs', team_id: team.id })).json()) as { id: string };
    assert.equal((await call('POST', `/admin/me/keys/${other.id}/revoke`, as, {})).status, 404);
    const list = (await (await call('GET', '/admin/me/keys', as)).json()) as { data: Array<{ id: string }> };
    assert.deepEqual(list.data.map((k) => k.id), [key.id]);
    const revoked = (await (await call('POST', `/admin/me/keys/${key.id}/revoke`, as, { reason: 'done' })).json()) as { status: string };
    assert.equal(revoked.status, 'revoked');
  });
});
