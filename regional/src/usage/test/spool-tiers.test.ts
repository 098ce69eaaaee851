/**
 * The durable spool's tiers against a real S3 stand-in (s3rver): S3 first, the task's disk when S3 cannot be
 * written, both replayed (local first); and two tasks replaying the same S3 batch — the second finds it gone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { s3 } from '../../../../test-support/s3.js';
import { S3Spool, TieredSpool } from '../durable-spool.js';
import { S3ObjectStore } from '../object-store.js';
import { Spool } from '../spool.js';
import { makeEvent } from './events.js';

test('S3 first, local disk when S3 is down too; concurrent replayers skip a batch already taken', { timeout: 60_000 }, async (t) => {
  const store = await s3(t, { private: true });
  if (!store) return;
  const dir = mkdtempSync(join(tmpdir(), 'skyway-tiers-'));
  const objects = new S3ObjectStore({ bucket: store.bucket, endpoint: store.endpoint, region: store.region, credentials: store.credentials });
  const logs: string[] = [];
  try {
    const spool = new TieredSpool(new S3Spool(objects, 'spool/postgres/', false), new Spool(join(dir, 'a'), false), (m) => logs.push(m));
    await spool.open();
    const batch = (from: number) => Array.from({ length: 10 }, (_, i) => ({ ...makeEvent(from + i, 'tiers'), payload: { request: 'secret', response: 'secret' } }));

    await spool.append(batch(0));
    assert.equal(spool.remote.rows, 10);
    assert.equal((await store.listKeys('spool/postgres/')).length, 1);

    await store.stop!();
    await spool.append(batch(10)); // S3 down: the last resort
    assert.equal(spool.local.rows, 10);
    assert.ok(logs.some((m) => /to local disk/.test(m)), 'the fallback is logged');
    await store.start!();

    // Local first, then S3; payloads never reach a spool of a sink that does not read them.
    const first = (await spool.oldest())!;
    assert.deepEqual(first.events.map((e) => e.requestId), batch(10).map((e) => e.requestId));
    await spool.remove(first.entry);
    const second = (await spool.oldest())!;
    assert.deepEqual(second.events.map((e) => e.requestId), batch(0).map((e) => e.requestId));
    assert.ok(second.events.every((e) => e.payload === undefined));

    // Another task lists the same batch; the first delivers and deletes it; the other skips it.
    const other = new S3Spool(objects, 'spool/postgres/', false);
    await other.open();
    assert.equal(other.files, 1);
    await spool.remove(second.entry);
    assert.equal(await other.oldest(), undefined);
    assert.equal(other.files, 0);
    assert.deepEqual(await store.listKeys('spool/postgres/'), []);
    assert.equal(spool.files, 0);
  } finally {
    await objects.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
