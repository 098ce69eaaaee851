/**
 * 1 (issue 14, scenario 1). A key created through the admin host (the primary region's admin service, which
 * writes the config store's primary) works in every region within 5 s: the other region reads it from its
 * hot standby. Revoked through the admin host with a replication lag of APPLY_DELAY_MS: every api task of the
 * primary region refuses it within 1 s of the revocation, and every api task of the other region within 1 s of
 * its standby having applied it; clocks start at the primary's commit timestamp (the change feed `config_changes`, polled on the standby, drops cached keys).
 */
import { admin, createKey, type Scenario } from '../scenario.js';
import { chatAt, chatAtTask, committedAt as commitTime, ms, needsGlobalStore, revokedOnStandby, standbyClient, until } from './global-store.js';

const WORKS_LIMIT_MS = 5000;
const REFUSE_LIMIT_MS = 1000;
/** Replication lag during the revocation, so that "the standby has it" is a moment apart from the commit. */
const APPLY_DELAY_MS = 300;

export const globalKey: Scenario = {
  id: '1',
  title: 'global key: created through the admin host, works in every region within 5 s; revoked, refused within 1 s of each region\'s store having it',
  async run(ctx) {
    const missing = needsGlobalStore(ctx);
    if (missing) return { pass: true, skipped: missing, figures: missing };
    const store = ctx.d.configStore!;
    const primary = ctx.d.regions.find((r) => r.configCluster?.role === 'primary')!;
    const secondary = ctx.d.regions.find((r) => r.configCluster?.role === 'secondary')!;

    const key = await createKey(ctx, { limits: { rpm: 100_000 } });
    const created = Date.now();
    const worksAfter = await Promise.all(
      [primary, secondary].map((region) => until(async () => (await chatAt(ctx, region, key.key)).status === 200, 2 * WORKS_LIMIT_MS)),
    );
    // Every task has the key cached before it is revoked, as in a running deployment.
    const tasks = [...primary.api.tasks.map((t) => ({ region: primary, port: t.port })), ...secondary.api.tasks.map((t) => ({ region: secondary, port: t.port }))];
    const warm = await Promise.all(tasks.map((t) => chatAtTask(ctx, t.port, key.key)));

    await store.replica.setApplyDelay(APPLY_DELAY_MS);
    const standby = await standbyClient(ctx);
    let committedAt = 0;
    let standbyAt: number | undefined;
    const refusedAt: Array<number | undefined> = tasks.map(() => undefined);
    let status = 0;
    try {
      const r0 = Date.now();
      const revoked = admin(ctx, 'POST', `/admin/keys/${key.id}/revoke`, { reason: 'rehearsal scenario 1' });
      // Clocks: the primary region's from the admin API's answer (the commit), the other's from its standby.
      const watchStandby = until(() => revokedOnStandby(standby, key.id), 10_000, 5).then((x) => (standbyAt = x === undefined ? undefined : r0 + x));
      const watchTasks = Promise.all(
        tasks.map(async (t, i) => {
          const x = await until(async () => (await chatAtTask(ctx, t.port, key.key)).status === 401, 10_000, 10);
          refusedAt[i] = x === undefined ? undefined : r0 + x;
        }),
      );
      const r = await revoked;
      status = r.status;
      // The true commit time on the primary (track_commit_timestamp), else the admin API's answer.
      committedAt = (await commitTime(ctx, key.id)) ?? Date.now();
      await Promise.all([watchStandby, watchTasks]);
    } finally {
      await standby.end();
      await store.replica.setApplyDelay(0);
    }
    const rel = (at: number | undefined, from: number | undefined) => (at === undefined || from === undefined ? undefined : Math.max(0, at - from));
    const primaryRefuse = tasks.map((t, i) => (t.region === primary ? rel(refusedAt[i], committedAt) : undefined)).filter((_, i) => tasks[i]!.region === primary);
    const secondaryRefuse = tasks.map((t, i) => (t.region === secondary ? rel(refusedAt[i], standbyAt) : undefined)).filter((_, i) => tasks[i]!.region === secondary);
    const secondaryFromCommit = tasks.map((_, i) => rel(refusedAt[i], committedAt)).filter((_, i) => tasks[i]!.region === secondary);
    const standbyLag = rel(standbyAt, committedAt);
    const within = (xs: Array<number | undefined>, limit: number) => xs.length > 0 && xs.every((x) => x !== undefined && x <= limit);
    const pass =
      worksAfter.every((x) => x !== undefined && x <= WORKS_LIMIT_MS) && warm.every((w) => w.status === 200) && status === 200 && standbyAt !== undefined &&
      within(primaryRefuse, REFUSE_LIMIT_MS) && within(secondaryRefuse, REFUSE_LIMIT_MS);
    ctx.log(`scenario 1: key ${key.id} created ${created}; works ${worksAfter.map(ms).join('/')}`);
    return {
      pass,
      figures:
        `new key works in ${primary.region} after ${ms(worksAfter[0])}, in ${secondary.region} after ${ms(worksAfter[1])} (limit ${WORKS_LIMIT_MS} ms); ` +
        `revoke ${status} with apply delay ${APPLY_DELAY_MS} ms: standby applied it ${ms(standbyLag)} after the commit; ` +
        `${primary.region} tasks refuse ${primaryRefuse.map(ms).join('/')} after the commit, ${secondary.region} tasks ${secondaryRefuse.map(ms).join('/')} after the standby had it ` +
        `(${secondaryFromCommit.map(ms).join('/')} after the commit; limit ${REFUSE_LIMIT_MS} ms)` + (warm.every((w) => w.status === 200) ? '' : `; warm-up ${warm.map((w) => w.status).join('/')}`),
    };
  },
};
