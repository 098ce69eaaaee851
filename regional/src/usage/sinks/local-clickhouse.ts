/**
 * The embedded default for the ClickHouse sink (no CLICKHOUSE_URL): the same `request_log` and `traces` rows as
 * NDJSON files under the data dir, one file per batch and day, named by the batch's token:
 *
 *   <data dir>/clickhouse/request_log/dt=YYYY-MM-DD/<token>.ndjson
 *   <data dir>/clickhouse/traces/dt=YYYY-MM-DD/<token>.ndjson
 *
 * Readable by `clickhouse local`/chDB (`file('…/request_log/*\/*.ndjson', JSONEachRow)`) or loaded into a
 * server with `INSERT … SELECT`. Same name as the ClickHouse sink ("clickhouse"), so a spool written by one
 * is replayed by the other after a configuration change.
 */
import type { UsageEvent } from '../event.js';
import { FileObjectStore } from '../object-store.js';
import { requestLogLine, traceLine } from '../row-lines.js';
import { batchToken, spanIds } from '../rows.js';
import type { UsageSink } from '../sink.js';

let lastDay = { start: 0, end: 0, text: '' };
/** `YYYY-MM-DD` (UTC) of an epoch-ms time; one Date per day, not per event. */
function utcDay(ms: number): string {
  if (ms < lastDay.start || ms >= lastDay.end) {
    const start = ms - (((ms % 86_400_000) + 86_400_000) % 86_400_000);
    lastDay = { start, end: start + 86_400_000, text: new Date(start).toISOString().slice(0, 10) };
  }
  return lastDay.text;
}

/** Rows encoded per event-loop turn (about 1 ms of work on one core). */
const ENCODE_SLICE = 100;
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

export class LocalClickHouseFilesSink implements UsageSink {
  readonly name = 'clickhouse';
  private readonly store: FileObjectStore;

  constructor(root: string, private readonly serviceName = 'skyway-gateway') {
    this.store = new FileObjectStore(root);
  }

  async write(batch: readonly UsageEvent[], signal: AbortSignal): Promise<void> {
    const days = new Map<string, UsageEvent[]>();
    for (const e of batch) {
      const day = utcDay(e.time);
      let list = days.get(day);
      if (!list) days.set(day, (list = []));
      list.push(e);
    }
    for (const [day, events] of days) {
      const token = batchToken(events);
      let log = '';
      let spans = '';
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        const ids = spanIds(e);
        log += requestLogLine(e, ids) + '\n';
        spans += traceLine(e, this.serviceName, ids) + '\n';
        // Encoding runs on the event loop: yield between slices so a big batch never stalls requests (p99).
        if (i % ENCODE_SLICE === ENCODE_SLICE - 1) await yieldToRequests();
      }
      await this.store.put(`request_log/dt=${day}/${token}.ndjson`, Buffer.from(log), 'application/x-ndjson');
      await this.store.put(`traces/dt=${day}/${token}.ndjson`, Buffer.from(spans), 'application/x-ndjson');
      signal.throwIfAborted();
    }
  }
}
