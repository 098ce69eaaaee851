/**
 * Region health from the probe to the edge's choice: two regions' reporters publish their rows into one KVS file
 * (the local stand-in of the KeyValueStore) through the real publisher, and the built viewer-request function
 * reads that file. The readiness probes hit real HTTP servers; the error rate comes from a real usage ledger.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleText, defaultSource } from '../../../edge/build/bundle.js';
import { ViewerRequestFunction } from '../../../edge/local/function-runner.js';
import { createEdgePublisher } from '../../../edge/publisher/index.js';
import { EDGE_CASES, EDGE_KVS, keys } from '../../../edge/test/cases.js';
import { REGION_HEALTH, type RegionTable } from '../../../shared/contract/region-health.js';
import { migratedDb } from '../../../test-support/test-db.js';
import { isHealthy, ledgerErrors, readinessProbe, startRegionHealth } from './region-health.js';

const quiet = { info: () => undefined, warn: () => undefined };

/** A stand-in api service whose readiness answer the test flips; it records the origin-verify header it got. */
async function apiService(): Promise<{ url: string; status: number; seen: Array<string | undefined>; server: Server }> {
  const svc = { url: '', status: 200, seen: [] as Array<string | undefined>, server: undefined as unknown as Server };
  svc.server = createServer((req, res) => {
    svc.seen.push(req.headers['x-skyway-origin-verify'] as string | undefined);
    res.statusCode = req.url === '/health/readiness' ? svc.status : 404;
    res.end('{}');
  });
  await new Promise<void>((r) => svc.server.listen(0, '127.0.0.1', r));
  svc.url = `http://127.0.0.1:${(svc.server.address() as AddressInfo).port}`;
  return svc;
}

test('isHealthy: readiness first, then the error share of enough requests', () => {
  assert.equal(isHealthy(false, undefined), false);
  assert.equal(isHealthy(true, undefined), true);
  assert.equal(isHealthy(true, { requests: REGION_HEALTH.minRequests - 1, errors: REGION_HEALTH.minRequests - 1 }), true, 'too few requests to judge');
  assert.equal(isHealthy(true, { requests: 100, errors: 50 }), true);
  assert.equal(isHealthy(true, { requests: 100, errors: 51 }), false);
});

test('two regions publish their rows; the edge leaves the one whose api stops answering and returns to it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-region-health-'));
  const eu = await apiService();
  const us = await apiService();
  t.after(() => {
    for (const s of [eu, us]) s.server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const kvsFile = join(dir, 'edge-kvs.json');
  const publisher = createEdgePublisher({ localFile: kvsFile });
  // Everything but the case table's own region rows: the published ones replace them.
  for (const [k, v] of Object.entries(EDGE_KVS)) if (k.startsWith('sig:')) await publisher.setSigningSecret(Number(k.slice(4)), v);
  const reporters = [
    startRegionHealth({ region: 'eu-west-1', publisher, ready: readinessProbe(eu.url, 'ov-secret-0123456789'), near: ['DE'], originId: 'skyway-eu-west-1', intervalMs: 3_600_000, logger: quiet }),
    startRegionHealth({ region: 'us-west-2', publisher, ready: readinessProbe(us.url, 'ov-secret-0123456789'), near: ['US'], originId: 'skyway-us-west-2', intervalMs: 3_600_000, logger: quiet }),
  ];
  t.after(() => reporters.forEach((r) => r.stop()));
  await Promise.all(reporters.map((r) => r.publishOnce()));
  await publisher.flush();

  const fn = new ViewerRequestFunction(bundleText(readFileSync(defaultSource(), 'utf8')));
  const kvs = () => JSON.parse(readFileSync(kvsFile, 'utf8')) as Record<string, string>;
  const fromUs = async () => {
    const e = structuredClone(EDGE_CASES[1]!.event);
    e.request.headers['authorization'] = { value: `Bearer ${keys.valid}` };
    e.request.headers['cloudfront-viewer-country'] = { value: 'US' };
    return fn.run(e, kvs());
  };

  const table = JSON.parse(kvs()['regions']!) as RegionTable;
  assert.deepEqual(Object.keys(table).sort(), ['eu-west-1', 'us-west-2']);
  assert.equal(table['us-west-2']!.up, 1);
  assert.equal(table['us-west-2']!.o, 'skyway-us-west-2');
  assert.ok(Math.abs(table['us-west-2']!.t! - Date.now() / 1000) < 60, 'the row carries its publication time');
  assert.deepEqual(new Set(us.seen), new Set(['ov-secret-0123456789']), 'the probe passes the origin check like CloudFront');
  assert.equal((await fromUs()).originId, 'skyway-us-west-2');

  us.status = 503;
  await reporters[1]!.publishOnce();
  assert.equal((JSON.parse(kvs()['regions']!) as RegionTable)['us-west-2']!.up, 0);
  assert.equal((await fromUs()).originId, 'skyway-eu-west-1', 'US viewers move to the healthy region');

  us.status = 200;
  await reporters[1]!.publishOnce();
  assert.equal((await fromUs()).originId, 'skyway-us-west-2', 'and come back once it recovers');
});

test('the error share comes from the region usage ledger', async (t) => {
  const mdb = await migratedDb(t);
  if (!mdb) return;
  t.after(() => mdb.close());
  const errors = ledgerErrors(mdb.db);
  const insert = (id: string, status: number, agoSeconds: number) =>
    mdb.db.query(`insert into usage_events (request_id, time, key_id, model, status, prompt_tokens, completion_tokens, cost_usd) values ($1, now() - make_interval(secs => $2), 'k', 'm', $3, 0, 0, 0)`, [id, agoSeconds, status]);
  for (let i = 0; i < 30; i++) await insert(`ok-${i}`, 200, 1);
  for (let i = 0; i < 40; i++) await insert(`err-${i}`, 502, 1);
  for (let i = 0; i < 50; i++) await insert(`old-${i}`, 200, REGION_HEALTH.errorWindowSeconds + 30);
  const counts = await errors();
  assert.deepEqual(counts, { requests: 70, errors: 40 });
  assert.equal(isHealthy(true, counts), false, '57 % of recent requests failed');
});
