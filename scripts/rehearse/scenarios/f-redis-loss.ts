/**
 * f. The limits Redis restarted empty. During the outage RPM holds within the documented policy (requests=local:
 * each task admits ceil(rpm / SKYWAY_REPLICAS), so all tasks together stay within the limit). After the restart,
 * spend already recorded still counts against the budget: it is rebuilt from the Postgres ledger.
 */
import pg from 'pg';
import { call, chatBody, type Reply } from '../client.js';
import { missingSource } from '../needs.js';
import { createKey, servingRegion, viewerHeaders, sleep, type Scenario } from '../scenario.js';

const RPM = 20;
const BUDGET_USD = 0.25;
const PRE_SPEND_REQUESTS = 5;

const cost = (r: Reply): number => Number(r.headers['x-skyway-cost-usd'] ?? 0);

export const redisLoss: Scenario = {
  id: 'f',
  title: 'Redis restarted empty: recorded spend still counts against the budget; RPM holds during the outage',
  needs: () => missingSource('regional/src/admission/budget-seed.ts'),
  async run(ctx) {
    const region = servingRegion(ctx);
    const state = [...region.redis.values()].find((r) => r.spec.maxmemoryPolicy === 'noeviction') ?? [...region.redis.values()][0]!;
    const replicas = Number(region.api.lastEnv.SKYWAY_REPLICAS ?? 1);
    const rpmKey = await createKey(ctx, { limits: { rpm: RPM } });
    const budgetKey = await createKey(ctx, { limits: { rpm: 100_000 }, budget: { max_usd: BUDGET_USD, period: 'monthly' } });
    const send = (key: string) => call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', { token: key, body: chatBody(ctx.state.model), headers: viewerHeaders(ctx) });
    await Promise.all(region.api.tasks.map(() => send(rpmKey.key)));
    let spent = 0;
    let admittedBefore = 0;
    const refusedBefore: number[] = [];
    // A new budget is seeded from the ledger on first use; under load that can time out (budget=closed): retry.
    for (let i = 0; i < 4 * PRE_SPEND_REQUESTS && admittedBefore < PRE_SPEND_REQUESTS; i++) {
      const r = await send(budgetKey.key);
      if (r.status === 200) {
        spent += cost(r);
        admittedBefore++;
      } else {
        refusedBefore.push(r.status);
        await sleep(200);
      }
    }
    // The spend reaches the ledger (the usage batcher flushes about every second).
    const db = new pg.Client({ connectionString: region.db.directUrl });
    await db.connect();
    let ledger = 0;
    for (let i = 0; i < 40 && ledger + 1e-9 < spent; i++) {
      await sleep(250);
      ledger = Number((await db.query('select coalesce(sum(cost_usd),0) as s from usage_events where key_id = $1', [budgetKey.id])).rows[0].s);
    }
    await db.end();
    // Outage: every task falls back to its share of the RPM limit.
    await state.kill();
    const during: number[] = [];
    for (let i = 0; i < 3 * RPM; i++) during.push((await send(rpmKey.key)).status);
    const admittedDuring = during.filter((s) => s === 200).length;
    const policyBound = region.api.tasks.length * Math.ceil(RPM / replicas);
    // Back, empty.
    await state.start();
    let after: Reply | undefined;
    for (let i = 0; i < 100; i++) {
      after = await send(budgetKey.key);
      if (after.status !== 503) break;
      await sleep(100);
    }
    let admittedAfter = after?.status === 200 ? 1 : 0;
    let spentAfter = after?.status === 200 ? cost(after) : 0;
    let refusal = after?.status === 200 ? undefined : after;
    for (let i = 0; i < 20 && !refusal; i++) {
      const r = await send(budgetKey.key);
      if (r.status === 200) {
        admittedAfter++;
        spentAfter += cost(r);
      } else refusal = r;
    }
    const perRequest = admittedBefore > 0 ? spent / admittedBefore : Number.POSITIVE_INFINITY;
    const allowed = Math.floor((BUDGET_USD - spent) / perRequest) + 1;
    const code = refusal ? String(refusal.json<{ error?: { code?: string } }>().error?.code) : '-';
    const pass = admittedBefore === PRE_SPEND_REQUESTS && spent > 0 && ledger + 1e-9 >= spent && admittedDuring <= Math.min(RPM, policyBound) && admittedAfter <= allowed && refusal?.status === 429 && spent + spentAfter <= BUDGET_USD + perRequest;
    return {
      pass,
      figures:
        `spent $${spent.toFixed(4)} in ${admittedBefore} requests${refusedBefore.length ? ` (${refusedBefore.length} refused first: ${[...new Set(refusedBefore)].join(',')})` : ''} (ledger $${ledger.toFixed(4)}); outage: ${admittedDuring}/${during.length} admitted at rpm ${RPM} ` +
        `(policy bound ${policyBound} = ${region.api.tasks.length} tasks x ceil(${RPM}/${replicas})); after restart: ${admittedAfter} admitted (allowed ${allowed}), ` +
        `then ${refusal?.status ?? '-'} ${code}; total $${(spent + spentAfter).toFixed(4)} of $${BUDGET_USD}`,
    };
  },
};
