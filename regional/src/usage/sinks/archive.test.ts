import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { s3 } from '../../../../test-support/s3.js';
import type { UsageEvent } from '../event.js';
import { FileObjectStore, S3ObjectStore } from '../object-store.js';
import { makeEvent } from '../test/events.js';
import { ArchiveSink, archivePartition } from './archive.js';

const hour = 3_600_000;
const signal = new AbortController().signal;

function batchAcrossHours(): UsageEvent[] {
  const base = Date.UTC(2030, 0, 1, 23, 30);
  return Array.from({ length: 40 }, (_, i) => ({ ...makeEvent(i, 'arc'), time: base + (i % 2) * hour, region: i % 4 < 2 ? 'eu-west-1' : 'us-east-1' }));
}

test('archive to S3: partitioned, gzipped NDJSON, deterministic keys, payloads redacted', async (t) => {
  const srv = await s3(t);
  if (!srv) return;
  const sink = new ArchiveSink(new S3ObjectStore({ bucket: srv.bucket, endpoint: srv.endpoint, region: srv.region, credentials: srv.credentials }));
  try {
    const batch = batchAcrossHours();
    batch[3] = {
      ...batch[3]!,
      payload: {
        request: { messages: [{ role: 'user', content: 'mail me at jane@example.com, key sk-abcdefghijklmnopqrstuvwx' }], api_key: 'hunter2' },
        response: { choices: [{ message: { content: 'ok' } }] },
      },
    };
    await sink.write(batch, signal);
    await sink.write(batch, signal); // replay: same keys, no new objects
    const keys = (await srv.listKeys('usage/')).sort();
    assert.equal(keys.length, 4, keys.join('\n'));
    assert.ok(keys.every((k) => /^usage\/dt=\d{4}-\d\d-\d\d\/hour=\d\d\/region=[a-z0-9-]+\/[0-9a-f]{32}\.ndjson\.gz$/.test(k)));
    assert.ok(keys.some((k) => k.startsWith('usage/dt=2030-01-01/hour=23/region=eu-west-1/')));
    assert.ok(keys.some((k) => k.startsWith('usage/dt=2030-01-02/hour=00/region=us-east-1/')));
    const rows: UsageEvent[] = [];
    for (const k of keys) {
      for (const line of gunzipSync(await srv.getObject(k)).toString().split('\n')) if (line) rows.push(JSON.parse(line) as UsageEvent);
    }
    assert.equal(rows.length, 40);
    assert.equal(new Set(rows.map((r) => r.requestId)).size, 40);
    const withPayload = rows.find((r) => r.payload)!;
    const text = JSON.stringify(withPayload.payload);
    assert.ok(!text.includes('jane@example.com') && !text.includes('sk-abcdefghijklmnop') && !text.includes('hunter2'), text);
    assert.ok(text.includes('[REDACTED]'));
  } finally {
    await sink.close();
    await srv.close();
  }
});

test('archive to files (embedded default) uses the same layout', async () => {
  const root = mkdtempSync(join(tmpdir(), 'skyway-archive-'));
  const sink = new ArchiveSink(new FileObjectStore(root));
  await sink.write(batchAcrossHours(), signal);
  const dir = join(root, 'usage', 'dt=2030-01-01', 'hour=23', 'region=eu-west-1');
  const [file] = readdirSync(dir);
  assert.match(file!, /^[0-9a-f]{32}\.ndjson\.gz$/);
  const lines = gunzipSync(readFileSync(join(dir, file!))).toString().trim().split('\n');
  assert.equal(lines.length, 10);
  rmSync(root, { recursive: true, force: true });
});

test('archive partitions: the cached hour and region give the path a fresh Date gives, across hours, days, regions and odd times', () => {
  const fresh = (e: UsageEvent) => {
    const iso = new Date(e.time).toISOString();
    return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/region=${encodeURIComponent(e.region)}/`;
  };
  const base = Date.UTC(2030, 0, 1, 22, 59, 59, 990);
  const times = [base, base + 9, base + 10, base + 11, base - hour, base + hour, -1, 0, -hour - 1, base + 0.5, base + 10.5, -0.5, 1.5, base];
  for (const region of ['eu-west-1', 'eu-west-1', 'us-east-1', 'a/b c']) {
    for (const time of times) {
      const e = { ...makeEvent(1, 'part'), time, region };
      assert.equal(archivePartition(e), fresh(e), `${time} ${region}`);
    }
  }
});
