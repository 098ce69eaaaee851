/**
 * e. A task killed with SIGKILL while Postgres is unreachable, replaced by a fresh task with an empty disk:
 * after Postgres returns, every usage event of every served request is in `usage_events` exactly once (the
 * durable spool: batches in the archive bucket under the spool prefix, replayed by any task).
 */
import pg from 'pg';
import { call, chatBody } from '../client.js';
import { missingSource } from '../needs.js';
import { createKey, servingRegion, viewerHeaders, sleep, type Scenario } from '../scenario.js';

const REQUESTS = 40;
const SETTLE_MS = 60_000;
const SPOOL_WAIT_MS = 5000;

export const usageDurability: Scenario = {
  id: 'e',
  title: 'SIGKILL a task while Postgres is unreachable; fresh task, empty disk; every usage event lands exactly once',
  needs: () => missingSource('regional/src/usage/durable-spool.ts'),
  async run(ctx) {
    const region = servingRegion(ctx);
    const key = await createKey(ctx, { limits: { rpm: 100_000 } });
    const send = () => call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', { token: key.key, body: chatBody(ctx.state.model), headers: viewerHeaders(ctx) });
    // Every api task knows the key before the database goes away (key cache), as in a running deployment.
    const warm = await Promise.all(Array.from({ length: 2 * region.api.tasks.length }, send));
    region.db.proxy.cut();
    const t0 = Date.now();
    const served: string[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const r = await send();
      statuses.push(r.status);
      if (r.status === 200) served.push(String(r.headers['x-skyway-request-id']));
    }
    served.push(...warm.filter((r) => r.status === 200).map((r) => String(r.headers['x-skyway-request-id'])));
    // Let the failed deliveries reach the spool (the stated bound is the 1 s flush, the 1 s spill-after and one
    // S3 PUT; 5 s leaves room for a loaded CI machine), then lose a task without a drain.
    await sleep(SPOOL_WAIT_MS);
    const victim = region.api.tasks[0]!;
    await region.api.lose(victim);
    await sleep(1000);
    region.db.proxy.heal();
    const outageMs = Date.now() - t0;
    // ECS replaces the task; a fresh task migrates and replays what any task left in the durable spool.
    await region.api.startTask();
    const db = new pg.Client({ connectionString: region.db.directUrl });
    await db.connect();
    let rows: Array<{ request_id: string; n: number }> = [];
    const until = Date.now() + SETTLE_MS;
    try {
      do {
        await sleep(500);
        rows = (await db.query<{ request_id: string; n: number }>('select request_id, count(*)::int as n from usage_events where request_id = any($1) group by request_id', [served])).rows;
      } while (rows.length < served.length && Date.now() < until);
    } finally {
      await db.end();
    }
    const once = rows.filter((r) => r.n === 1).length;
    const pass = served.length === REQUESTS + warm.length && rows.length === served.length && once === served.length;
    return {
      pass,
      figures: `${served.length} requests served (${statuses.filter((s) => s !== 200).length} refused during the ${outageMs} ms outage), ${rows.length} in usage_events, ${once} exactly once; victim ${victim.name} SIGKILLed ${SPOOL_WAIT_MS} ms after its last request, replacement healthy`,
    };
  },
};
