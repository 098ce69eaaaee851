/**
 * A gateway's usage pipeline in a child process, for the durable-spool test: the recorder is built from the
 * environment exactly as the gateway builds it (createUsageRecorderFromEnv), records SKYWAY_TEST_EVENTS events
 * (ids from SKYWAY_TEST_RUN), then reports its postgres channel's state as one JSON line every 20 ms until the
 * parent kills it. `accepted` is printed only after record() returned for every event. With 0 events it is a
 * fresh task that only replays what it finds in the spools; SIGTERM closes it as the gateway does.
 */
import { TieredSpool } from '../durable-spool.js';
import { createUsageRecorderFromEnv } from '../from-env.js';
import { makeEvent } from './events.js';

const count = Number(process.env.SKYWAY_TEST_EVENTS ?? '100');
const runId = process.env.SKYWAY_TEST_RUN ?? 'child';
const rec = createUsageRecorderFromEnv({ env: process.env, logger: { warn: () => undefined } });

const report = (accepted: number, lastAt: number) => {
  const pg = rec.stats().find((s) => s.sink === 'postgres')!;
  const spool = rec.channels.find((c) => c.sink.name === 'postgres')!.spool;
  // Rows whose spool write completed, in S3 (`remote`) and on this task's disk (`local`); not those mid-write.
  const inS3 = spool instanceof TieredSpool ? spool.remote.rows : 0;
  const onDisk = spool instanceof TieredSpool ? spool.local.rows : spool.rows;
  process.stdout.write(JSON.stringify({ accepted, lastAt, now: Date.now(), queued: pg.queuedRows, inS3, onDisk, healthy: pg.healthy }) + '\n');
};

let i = 0;
const feed = setInterval(() => {
  for (let k = 0; k < 25 && i < count; k++) rec.record(makeEvent(i++, runId));
  if (i >= count) {
    clearInterval(feed);
    const lastAt = Date.now();
    report(count, lastAt);
    setInterval(() => report(count, lastAt), 20);
  }
}, 10);
process.once('SIGTERM', () => void rec.close(2000).then(() => process.exit(0)));
