/**
 * h (issue 14, scenario 3). A key pinned to region A: served only by A whatever the viewer's country; with A's api
 * down the edge answers 503 home_region_unavailable (never B); its usage rows exist in A's database only.
 * (B's own refusal of a pinned key that reaches it is in regional/test/residency-e2e.test.ts.)
 */
import pg from 'pg';
import { EDGE_ANSWER_HEADER } from '../../../shared/contract/index.js';
import { SHARED_ERRORS } from '../../../shared/errors/codes.js';
import { REGION_HEALTH } from '../../../shared/contract/region-health.js';
import { createKey, sleep, type Scenario } from '../scenario.js';
import { chatFrom, countryOf, needsTwoRegions, servedBy, stopApi, untilRows } from './multiregion.js';
import { readFileSync } from 'node:fs';

const CALLS = 10;

async function usageRows(url: string, keyId: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ n: number }>('select count(*)::int as n from usage_events where key_id = $1', [keyId])).rows[0]!.n;
  } finally {
    await c.end();
  }
}

export const residency: Scenario = {
  id: 'h',
  title: 'residency: a key pinned to A is served by A only; A down → edge 503 home_region_unavailable; usage rows in A only',
  async run(ctx) {
    const missing = needsTwoRegions(ctx);
    if (missing) return { pass: true, skipped: missing, figures: missing };
    const [a, b] = [ctx.d.regions[0]!, ctx.d.regions[1]!];
    // Both regions published up (after a previous scenario restored A, its first healthy publication can be an
    // interval away): a pinned call to A while its row still says down is refused at the edge, by design.
    const both = await untilRows(ctx, (rows) => rows[a.region]?.up === 1 && rows[b.region]?.up === 1, 6 * REGION_HEALTH.intervalMs);
    const key = await createKey(ctx, { home_region: a.region, alias: 'rehearsal-pinned' });
    const pinnedAt = Date.now();
    let edgeMs: number | undefined;
    while (Date.now() - pinnedAt < 5_000) {
      const kvs = JSON.parse(readFileSync(ctx.d.kvsFile, 'utf8')) as Record<string, string>;
      if (kvs[`k:${key.id}`]?.includes(a.region)) {
        edgeMs = Date.now() - pinnedAt;
        break;
      }
      await sleep(20);
    }
    const fromB = countryOf(ctx, b);
    const calls = await Promise.all(Array.from({ length: CALLS }, () => chatFrom(ctx, fromB, key.key)));
    const byA = calls.filter((r) => r.status === 200 && servedBy(r) === a.region).length;
    await sleep(2_000); // usage batches flush every second
    const [rowsA, rowsB] = [await usageRows(a.db.directUrl, key.id), await usageRows(b.db.directUrl, key.id)];

    const t0 = Date.now();
    await stopApi(a);
    const down = await untilRows(ctx, (rows) => rows[a.region]?.up === 0, REGION_HEALTH.intervalMs + 3_000);
    const refused = await chatFrom(ctx, fromB, key.key);
    const refusedMs = Date.now() - t0;
    const code = refused.status === 503 ? refused.json<{ error: { code: string } }>().error.code : '-';
    await a.api.deploy();
    const up = await untilRows(ctx, (rows) => rows[a.region]?.up === 1, 3 * REGION_HEALTH.intervalMs);
    const pass = both !== undefined && edgeMs !== undefined && byA === CALLS && rowsA === CALLS && rowsB === 0 && down !== undefined && code === SHARED_ERRORS.homeRegionUnavailable.code && refused.headers[EDGE_ANSWER_HEADER] === '1' && up !== undefined;
    return {
      pass,
      figures: `${both === undefined ? 'regions not both published up before the pin; ' : ''}pin on the edge after ${edgeMs ?? 'never'} ms; viewer ${fromB}: ${byA}/${CALLS} served by ${a.region}; ${byA < CALLS ? `(statuses ${calls.map((r) => r.status).join(',')}) ` : ''}usage rows ${a.region} ${rowsA}, ${b.region} ${rowsB}; ${a.region} api stopped → row down after ${down ?? 'never'} ms, edge ${refused.status} ${code} at ${refusedMs} ms; restored, row up after ${up ?? 'never'} ms`,
    };
  },
};
