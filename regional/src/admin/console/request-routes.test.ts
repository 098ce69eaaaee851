import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../../test-support/test-db.js';
import { parseSigningSecrets } from '../../keys/signing-secrets.js';
import type { UsageEvent } from '../../usage/event.js';
import { FileObjectStore } from '../../usage/object-store.js';
import { ArchiveSink } from '../../usage/sinks/archive.js';
import { LocalClickHouseFilesSink } from '../../usage/sinks/local-clickhouse.js';
import { startAdminServer } from '../server.js';
import { ConsoleSessions } from './session.js';

const MASTER = 'sk-master-request-detail';

interface Detail {
  request_id: string;
  region: string;
  status: number;
  latency: { total_ms: number; overhead_ms: number; upstream_ms: number; ttfb_ms: number | null };
  tokens: Record<string, number>;
  cost_usd: number;
  attempts: number;
  attempt_log: Array<{ deployment: string; model: string; status: number; error_code: string | null; duration_ms: number }> | null;
  fallback_model: string | null;
  payload: { state: string; reason: string; request?: { messages: unknown[] }; response?: { id: string } };
}

test('request detail and overview series over the local files and the file archive', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'skyway-detail-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const admin = await startAdminServer({ host: '127.0.0.1', port: 0, db: pg.db, masterKey: MASTER, signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS), dataDir, secureCookie: false });
  t.after(() => admin.close());
  const call = async <T>(path: string, headers: Record<string, string> = { authorization: `Bearer ${MASTER}` }, method = 'GET', body?: unknown) => {
    const res = await fetch(admin.url + path, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null });
    return { status: res.status, body: (await res.json()) as T };
  };
  const archived = (await call<{ id: string }>('/admin/keys', undefined, 'POST', { alias: 'archived', archive_payloads: true })).body.id;
  const plain = (await call<{ id: string }>('/admin/keys', undefined, 'POST', { alias: 'plain' })).body.id;

  const now = Date.now();
  const base = (id: string, keyId: string, over: Partial<UsageEvent> = {}): UsageEvent => ({
    requestId: id, time: now - 5000, keyId, teamId: null, userId: null, model: 'flaky', deployment: 'rescue-a', provider: 'openai', region: 'eu-west-1', operation: 'chat',
    status: 200, errorCode: null, latency: { totalMs: 40.5, overheadMs: 1.25, upstreamMs: 39.25, ttfbMs: 40 }, tokens: { prompt: 12, completion: 3, cached: 4 }, costUsd: 0.0021,
    cacheHit: false, attempts: 2, stream: false,
    attemptLog: [
      { deployment: 'flaky-a', model: 'flaky', status: 0, errorCode: 'upstream_unavailable', durationMs: 2.5 },
      { deployment: 'rescue-a', model: 'rescue', status: 200, errorCode: null, durationMs: 36 },
    ],
    ...over,
  });
  const events = [
    base('req-detail-archived', archived, { payload: { request: { model: 'flaky', messages: [{ role: 'user', content: 'hello archive' }] }, response: { id: 'chatcmpl-1' } } }),
    base('req-detail-plain', plain, { attempts: 1, attemptLog: [{ deployment: 'mock-a', model: 'flaky', status: 200, errorCode: null, durationMs: 30 }] }),
    base('req-detail-master', '', { keyId: null, status: 502, errorCode: 'upstream_server_error' }),
  ];
  await new LocalClickHouseFilesSink(join(dataDir, 'clickhouse')).write(events, new AbortController().signal);
  await new ArchiveSink(new FileObjectStore(join(dataDir, 'archive'))).write(events, new AbortController().signal);

  await t.test('an archived key: latency breakdown, tokens, cost, attempts with the fallback, region, and its bodies', async () => {
    const { status, body: d } = await call<Detail>('/admin/requests/req-detail-archived');
    assert.equal(status, 200);
    assert.deepEqual(d.latency, { total_ms: 40.5, overhead_ms: 1.25, upstream_ms: 39.25, ttfb_ms: 40 });
    // Every token kind of the usage breakdown, absent ones as 0 (an event written before the breakdown existed).
    assert.deepEqual(d.tokens, { prompt: 12, completion: 3, cached: 4, cache_write: 0, cache_write_1h: 0, reasoning: 0 });
    assert.equal(d.cost_usd, 0.0021);
    assert.equal(d.region, 'eu-west-1');
    assert.deepEqual(d.attempt_log!.map((a) => [a.deployment, a.status, a.error_code]), [['flaky-a', 0, 'upstream_unavailable'], ['rescue-a', 200, null]]);
    assert.equal(d.fallback_model, 'rescue');
    assert.equal(d.payload.state, 'shown', d.payload.reason);
    assert.deepEqual(d.payload.request!.messages, [{ role: 'user', content: 'hello archive' }]);
    assert.equal(d.payload.response!.id, 'chatcmpl-1');
    const day = new Date(now - 5000).toISOString().slice(0, 10);
    assert.equal((await call<Detail>(`/admin/requests/req-detail-archived?day=${day}`)).body.request_id, 'req-detail-archived');
  });

  await t.test('a key without archiving, the master key, a viewer, an unknown id', async () => {
    const p = (await call<Detail>('/admin/requests/req-detail-plain')).body;
    assert.equal(p.payload.state, 'not_archived');
    assert.match(p.payload.reason, /does not archive payloads/);
    assert.equal(p.payload.request, undefined);
    assert.equal(p.fallback_model, null);
    const m = (await call<Detail>('/admin/requests/req-detail-master')).body;
    assert.equal(m.status, 502);
    assert.equal(m.payload.state, 'not_archived');
    const { token, csrf } = new ConsoleSessions({ masterKey: MASTER, secureCookie: false }).issue({ actor: { id: 'v@example.test', kind: 'oidc' }, role: 'viewer' });
    const v = (await call<Detail>('/admin/requests/req-detail-archived', { cookie: `skyway_console=${token}`, 'x-skyway-csrf': csrf })).body;
    assert.equal(v.payload.state, 'hidden');
    assert.equal(v.payload.request, undefined, 'viewers never get the bodies');
    assert.deepEqual(v.attempt_log!.length, 2, 'but do see the rest');
    const missing = await call<{ error: { code: string; type: string } }>('/admin/requests/req-nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'resource_not_found');
    assert.equal((await call('/admin/requests/req-detail-plain?day=yesterday')).status, 400);
  });

  await t.test('overview series: hourly buckets for a day, with the requests by model', async () => {
    const today = new Date(now - 5000).toISOString().slice(0, 10);
    const s = (await call<{ bucket: string; t: number[]; totals: { requests: number[]; errors: number[]; p95_ms: (number | null)[] }; groups: Array<{ group: string; requests: number[] }> }>(`/admin/overview/series?from=${today}&to=${today}`)).body;
    assert.equal(s.bucket, 'hour');
    assert.equal(s.t.length, 24);
    const i = new Date(now - 5000).getUTCHours();
    assert.equal(s.totals.requests[i], 3);
    assert.equal(s.totals.errors[i], 1);
    assert.equal(s.totals.p95_ms[i], 40.5);
    assert.equal(s.totals.p95_ms[(i + 1) % 24], null, 'an empty bucket has no percentile');
    assert.deepEqual(s.groups.map((g) => [g.group, g.requests[i]]), [['flaky', 3]]);
    const week = (await call<{ bucket: string; t: number[] }>('/admin/overview/series?group_by=team')).body;
    assert.deepEqual([week.bucket, week.t.length], ['day', 7]);
    assert.equal((await call('/admin/overview/series?bucket=hour&from=2026-01-01&to=2026-03-01')).status, 400);
  });
});
