/**
 * 5 (issue 14, scenario 5). The primary region goes down — its api and admin tasks, its regional database and the
 * config store's primary cluster all cut off: the other region keeps serving API traffic with keys made before
 * (its gateways read keys from their hot standby), admin writes there answer 503 with a catalogue code (its
 * config store is read-only) and through the admin host (whose origin is the primary region) a 503 too. When the
 * primary region returns nothing is lost: the usage of every request the other region served is in its regional
 * store, keys made before still work in both regions, and admin writes work again and reach the other region.
 */
import pg from 'pg';
import type { RegionRuntime } from '../deployment.js';
import { admin, createKey, type Scenario } from '../scenario.js';
import { stopApi } from './multiregion.js';
import { chatAt, createKeyAt, ms, needsGlobalStore, until } from './global-store.js';

const OUTAGE_REQUESTS = 30;
const WORKS_LIMIT_MS = 5000;
/** Usage events reach the regional store within a batch flush (about 1 s); room for a loaded machine. */
const SETTLE_MS = 15_000;
const READ_ONLY_CODES = ['config_store_read_only', 'primary_region_unavailable'];

async function usageOf(region: RegionRuntime, requestIds: string[]): Promise<number> {
  const c = new pg.Client({ connectionString: region.db.directUrl });
  await c.connect();
  try {
    return (await c.query<{ n: number }>('select count(distinct request_id)::int as n from usage_events where request_id = any($1)', [requestIds])).rows[0]!.n;
  } finally {
    await c.end();
  }
}

/** Cut the whole region: tasks lost, its regional database and (for the primary) the config store's primary unreachable. */
async function cutRegion(region: RegionRuntime): Promise<void> {
  region.configCluster?.proxy.cut();
  region.db.proxy.cut();
  await stopApi(region);
  await Promise.all([...region.admin.tasks].map((t) => region.admin.lose(t)));
}

async function restoreRegion(region: RegionRuntime): Promise<void> {
  region.configCluster?.proxy.heal();
  region.db.proxy.heal();
  await region.api.deploy();
  await region.admin.deploy();
}

export const primaryRegionDown: Scenario = {
  id: '5',
  title: 'primary region down: the other region serves existing keys, admin writes 503, nothing lost when it returns',
  async run(ctx) {
    const missing = needsGlobalStore(ctx);
    if (missing) return { pass: true, skipped: missing, figures: missing };
    const a = ctx.d.regions.find((r) => r.configCluster?.role === 'primary')!;
    const b = ctx.d.regions.find((r) => r.configCluster?.role === 'secondary')!;
    const key = await createKey(ctx, { limits: { rpm: 100_000 } });
    const known = await until(async () => (await chatAt(ctx, b, key.key)).status === 200, 2 * WORKS_LIMIT_MS);

    const t0 = Date.now();
    await cutRegion(a);
    const cutMs = Date.now() - t0;
    const served: string[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < OUTAGE_REQUESTS; i++) {
      const r = await chatAt(ctx, b, key.key);
      statuses.push(r.status);
      if (r.status === 200 && r.requestId) served.push(r.requestId);
    }
    const inB = await createKeyAt(ctx, b);
    const viaAdminHost = await admin(ctx, 'POST', '/admin/keys', { models: [ctx.state.model] });
    const outageMs = Date.now() - t0;

    const r0 = Date.now();
    await restoreRegion(a);
    const restoreMs = Date.now() - r0;
    let recorded = 0;
    const settled = await until(async () => (recorded = await usageOf(b, served)) >= served.length, SETTLE_MS, 250);
    const oldKeyInA = await until(async () => (await chatAt(ctx, a, key.key)).status === 200, WORKS_LIMIT_MS);
    const oldKeyInB = (await chatAt(ctx, b, key.key)).status;
    let fresh: { id: string; key: string } | undefined;
    let freshError = '';
    try {
      fresh = await createKey(ctx, {});
    } catch (err) {
      freshError = (err as Error).message.slice(0, 200);
    }
    const freshInB = fresh ? await until(async () => (await chatAt(ctx, b, fresh!.key)).status === 200, 2 * WORKS_LIMIT_MS) : undefined;

    const pass =
      known !== undefined && statuses.every((s) => s === 200) && inB.status === 503 && READ_ONLY_CODES.includes(inB.code ?? '') && viaAdminHost.status === 503 &&
      settled !== undefined && recorded === served.length && oldKeyInA !== undefined && oldKeyInB === 200 && fresh !== undefined && freshInB !== undefined && freshInB <= WORKS_LIMIT_MS;
    return {
      pass,
      figures:
        `${a.region} cut in ${cutMs} ms (api, admin, regional db, config primary); during the ${outageMs} ms outage ${b.region} served ${statuses.filter((s) => s === 200).length}/${OUTAGE_REQUESTS} with a key made before ` +
        `(statuses ${[...new Set(statuses)].join(',')}); admin write in ${b.region} ${inB.status} ${inB.code ?? inB.text.slice(0, 80)}; via the admin host ${viaAdminHost.status}; ` +
        `${a.region} restored in ${restoreMs} ms; usage of ${recorded}/${served.length} outage requests in ${b.region}'s store (${ms(settled)}); old key works in ${a.region} after ${ms(oldKeyInA)}, in ${b.region} ${oldKeyInB}; ` +
        `new key after return ${fresh ? `works in ${b.region} after ${ms(freshInB)}` : `failed: ${freshError}`}`,
    };
  },
};
