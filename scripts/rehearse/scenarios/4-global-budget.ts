/**
 * 4 (issue 14, scenario 4). One budget across regions: a key whose daily budget is N requests' worth gets 200
 * concurrent requests through the edge, half from viewers near A, half from viewers near B; the total admitted
 * over both regions must stay within N + one request per region (regional/src/admission/README.md, "Budgets
 * across regions": each region admits against a lease of the global spend ledger).
 *
 * A request's worst-case cost must equal its actual cost, or "N requests' worth" is ambiguous: the scenario
 * registers its own model priced on output only ($1000 per million) and asks for one token (`max_tokens: 1`),
 * so each request reserves and then spends exactly $0.001.
 *
 * Needs the global key store (the key must exist in both regions: CONFIG_DATABASE_URL in the api tasks, from
 * the gdb-infra/gdb-runtime work); without it the scenario reports SKIP with that reason.
 */
import pg from 'pg';
import { request as undiciRequest } from 'undici';
import { ORIGIN_VERIFY_HEADER } from '../../../shared/contract/index.js';
import { REGION_HEALTH } from '../../../shared/contract/region-health.js';
import { call, type Reply } from '../client.js';
import type { RegionRuntime } from '../deployment.js';
import { admin, createKey, sleep, type Scenario, type ScenarioContext } from '../scenario.js';
import { countryOf, needsTwoRegions, servedBy, untilRows } from './multiregion.js';

const MODEL = 'rehearsal-budget-model';
const PRICE = { input: 0, output: 1000 };
const COST_USD = 0.001;
const N = 50;
const TOTAL = 200;

/** Why this environment cannot run the scenario, if so. */
function needsGlobalKeys(regions: readonly RegionRuntime[]): string | undefined {
  const separate = regions.every((r) => {
    const env = r.api.lastEnv;
    return env['CONFIG_DATABASE_URL'] !== undefined && env['CONFIG_DATABASE_URL'] !== env['DATABASE_URL'];
  });
  return separate ? undefined : 'the api tasks have no global config store (CONFIG_DATABASE_URL): a key exists in one region only until the global key store is deployed';
}

function chat(ctx: ScenarioContext, country: string, token: string): Promise<Reply> {
  return call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', {
    token,
    body: { model: MODEL, messages: [{ role: 'user', content: 'One word, please.' }], max_tokens: 1 },
    headers: { 'cloudfront-viewer-country': country },
  });
}

/** Register the scenario's model through `region`'s admin task (the admin host reaches the primary only). */
async function registerIn(ctx: ScenarioContext, region: RegionRuntime): Promise<number> {
  const r = await undiciRequest(`http://127.0.0.1:${region.admin.tasks[0]!.port}/admin/deployments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.masterKey}`, 'content-type': 'application/json', [ORIGIN_VERIFY_HEADER]: ctx.originVerify },
    body: JSON.stringify({ model_name: MODEL, provider: 'openai', upstream_model: 'gpt-4o-mini', api_base: `${ctx.mock.url}/v1`, api_key: 'sk-rehearsal-upstream', options: { pricing: PRICE } }),
  });
  await r.body.text();
  return r.statusCode;
}

/** Wait until the key is known in the region that serves `country` (GET /v1/models spends nothing). */
async function untilKnown(ctx: ScenarioContext, country: string, token: string, region: string, timeoutMs: number): Promise<number | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const r = await call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'GET', '/v1/models', { token, headers: { 'cloudfront-viewer-country': country } });
    if (r.status === 200 && (servedBy(r) ?? region) === region && r.text.includes(MODEL)) return Date.now() - t0;
    await sleep(100);
  }
  return undefined;
}

/** Grants per region in the global ledger (best effort: for the figures only). */
async function ledgerGrants(region: RegionRuntime, keyId: string): Promise<string> {
  const url = region.api.lastEnv['SKYWAY_LEDGER_DATABASE_URL'] || region.api.lastEnv['CONFIG_DATABASE_URL'];
  if (!url) return 'no ledger URL';
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    const r = await c.query<{ region: string; grants: number; granted: string }>(
      `select region, grants, (granted_micro / 1e6)::text as granted from budget_leases where scope_kind = 'key' and scope_id = $1 order by region`,
      [keyId],
    );
    return r.rows.map((x) => `${x.region} ${x.grants} grants $${x.granted}`).join(', ') || 'no leases';
  } catch (err) {
    return `ledger unreadable (${(err as Error).message})`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const globalBudget: Scenario = {
  id: '4',
  title: `global budget: ${TOTAL} concurrent requests split over both regions, budget of ${N} requests' worth → admitted ≤ N + one per region`,
  async run(ctx) {
    const missing = needsTwoRegions(ctx) ?? needsGlobalKeys(ctx.d.regions);
    if (missing) return { pass: true, skipped: missing, figures: missing };
    const [a, b] = [ctx.d.regions[0]!, ctx.d.regions[1]!];
    const [ca, cb] = [countryOf(ctx, a), countryOf(ctx, b)];
    const both = await untilRows(ctx, (rows) => rows[a.region]?.up === 1 && rows[b.region]?.up === 1, 3 * REGION_HEALTH.intervalMs);

    // The model through the admin host; B learns it from the global store (or it is registered there too).
    const dep = await admin(ctx, 'POST', '/admin/deployments', { model_name: MODEL, provider: 'openai', upstream_model: 'gpt-4o-mini', api_base: `${ctx.mock.url}/v1`, api_key: 'sk-rehearsal-upstream', options: { pricing: PRICE } });
    const key = await createKey(ctx, { models: [MODEL], budget: { max_usd: N * COST_USD, period: 'daily' }, alias: 'rehearsal-global-budget' });
    let knownB = await untilKnown(ctx, cb, key.key, b.region, 10_000);
    let registeredB: number | undefined;
    if (knownB === undefined) {
      registeredB = await registerIn(ctx, b);
      knownB = await untilKnown(ctx, cb, key.key, b.region, 10_000);
    }
    const knownA = await untilKnown(ctx, ca, key.key, a.region, 10_000);

    const t0 = Date.now();
    const replies = await Promise.all(Array.from({ length: TOTAL }, (_, i) => chat(ctx, i % 2 === 0 ? ca : cb, key.key)));
    const ms = Date.now() - t0;
    const admittedBy = (region: string) => replies.filter((r) => r.status === 200 && servedBy(r) === region).length;
    const [inA, inB] = [admittedBy(a.region), admittedBy(b.region)];
    const admitted = replies.filter((r) => r.status === 200).length;
    const refused = replies.filter((r) => r.status === 429 && r.text.includes('budget_exceeded')).length;
    const other = replies.filter((r) => r.status !== 200 && !(r.status === 429 && r.text.includes('budget_exceeded')));
    await sleep(1_500); // spend batches reach the ledger every second
    const grants = await ledgerGrants(a, key.id);

    const pass =
      both !== undefined && dep.status === 201 && knownA !== undefined && knownB !== undefined &&
      admitted <= N + 2 && admitted >= N - 2 && inA > 0 && inB > 0 && other.length === 0;
    return {
      pass,
      figures:
        `budget $${(N * COST_USD).toFixed(3)} = ${N} requests of $${COST_USD}; ${TOTAL} concurrent (${ca}→${a.region}, ${cb}→${b.region}) in ${ms} ms: ` +
        `admitted ${admitted} (${a.region} ${inA}, ${b.region} ${inB}; limit ${N + 2}), refused budget_exceeded ${refused}, other ${other.length}` +
        `${other.length ? ` (${other[0]!.status} ${other[0]!.text.slice(0, 160)})` : ''}; key known in ${b.region} after ${knownB ?? 'never'} ms` +
        `${registeredB !== undefined ? ` (model registered there: ${registeredB})` : ''}; ledger: ${grants}`,
    };
  },
};
