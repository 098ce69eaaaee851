/**
 * d. A rolling deploy while 50 clients stream: each api task in turn is replaced as ECS does (new task healthy,
 * old one deregistered and stopped with SIGTERM and the template's stop timeout). No request may fail and every
 * stream must end with [DONE].
 */
import { stream, type StreamResult } from '../client.js';
import { createKey, servingRegion, type Scenario } from '../scenario.js';

const CLIENTS = 50;

export const rollingDeploy: Scenario = {
  id: 'd',
  title: `rolling deploy: SIGTERM each api task in turn while ${CLIENTS} clients stream`,
  async run(ctx) {
    const region = servingRegion(ctx);
    const key = await createKey(ctx, { limits: { rpm: 100_000 } });
    // Streams of about a second, so every stop finds streams in flight.
    ctx.mock.setFaults({ chunk_delay_ms: 40, chunks: 25 });
    let rolling = true;
    const results: StreamResult[] = [];
    const errors: string[] = [];
    const client = async () => {
      while (rolling) {
        try {
          results.push(await stream(ctx.d.cloudfront.url, ctx.d.hosts.api, key.key, ctx.state.model));
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    const stops: string[] = [];
    const failedStartsBefore = region.api.failedStarts.length;
    const t0 = Date.now();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      for (const old of [...region.api.tasks]) {
        const { stopped } = await region.api.roll(old);
        stops.push(`${old.name} exit ${stopped.code ?? stopped.signal} in ${stopped.ms} ms`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      rolling = false;
      await Promise.all(clients);
      ctx.mock.setFaults({});
    }
    const failed = results.filter((r) => r.status !== 200);
    const incomplete = results.filter((r) => r.status === 200 && !r.complete);
    const cleanExits = stops.every((s) => / exit 0 /.test(s));
    const pass = results.length > CLIENTS && failed.length === 0 && incomplete.length === 0 && errors.length === 0 && cleanExits;
    return {
      pass,
      figures:
        `${results.length} streams in ${Date.now() - t0} ms, ${failed.length} failed (${[...new Set(failed.map((f) => f.status))].join(',') || '-'}), ` +
        `${incomplete.length} incomplete, ${errors.length} client errors; stop timeout ${region.api.spec.stopTimeoutS} s; ${stops.join('; ')}` +
        `; ${region.api.failedStarts.length - failedStartsBefore} replacement task(s) exited before healthy and were replaced` +
        (errors[0] ? ` | ${errors[0]}` : ''),
    };
  },
};
