/**
 * The edge's reading of region health beyond the shared case table: the function's staleness threshold is the
 * contract's, and a table in which no row is fresh (the publishers are down, not necessarily the regions) is used
 * as last published instead of refusing every request.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { REGION_HEALTH } from '../../shared/contract/region-health.js';
import { ViewerRequestFunction } from '../local/function-runner.js';
import { bundleText, defaultSource } from '../build/bundle.js';
import { EDGE_CASES, EDGE_KVS, keys } from './cases.js';

const source = readFileSync(defaultSource(), 'utf8');
const fn = new ViewerRequestFunction(bundleText(source));

test('the function ages rows out after the contract threshold', () => {
  const m = /^const STALE = (\d+);$/m.exec(source);
  assert.ok(m, 'STALE constant in the function');
  assert.equal(Number(m[1]), REGION_HEALTH.staleAfterSeconds);
});

function event(country: string, key: string) {
  const e = structuredClone(EDGE_CASES[1]!.event);
  e.request.headers['authorization'] = { value: `Bearer ${key}` };
  e.request.headers['cloudfront-viewer-country'] = { value: country };
  return e;
}

test('no fresh row: the table is used as published (stale rows stay up)', async () => {
  const old = Math.floor(Date.now() / 1000) - 3600;
  const kvs = { ...EDGE_KVS, regions: JSON.stringify({ 'eu-west-1': { w: 1, up: 1, near: ['DE'], o: 'eu', t: old }, 'us-west-2': { w: 1, up: 1, near: ['US'], o: 'us', t: old } }) };
  const out = await fn.run(event('US', keys.valid), kvs);
  assert.equal(out.response, undefined);
  assert.equal(out.originId, 'us');
});

test('one fresh row: the stale one is down, its pinned keys get 503 and its viewers go elsewhere', async () => {
  const now = Math.floor(Date.now() / 1000);
  const rows = { 'eu-west-1': { w: 1, up: 1, near: ['DE'], o: 'eu', t: now - 2 }, 'us-west-2': { w: 1, up: 1, near: ['US'], o: 'us', t: now - REGION_HEALTH.staleAfterSeconds - 5 } };
  const kvs = { ...EDGE_KVS, regions: JSON.stringify(rows) };
  const out = await fn.run(event('US', keys.valid), kvs);
  assert.equal(out.originId, 'eu');
  const pinned = await fn.run(event('DE', keys.homeStale), kvs);
  assert.equal(pinned.response?.statusCode, 503);
  // Publishing again brings it back.
  rows['us-west-2'].t = now;
  const back = await fn.run(event('US', keys.valid), { ...kvs, regions: JSON.stringify(rows) });
  assert.equal(back.originId, 'us');
});
