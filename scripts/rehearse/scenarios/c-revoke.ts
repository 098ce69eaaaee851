/**
 * c. Revoke the key: the edge answers 401 with x-skyway-edge once the KVS stand-in holds the revocation, and
 * every api task (called directly, as the ALB would) refuses the key within 1 s of the revocation.
 */
import { request } from 'undici';
import { EDGE_ANSWER_HEADER, ORIGIN_VERIFY_HEADER } from '../../../shared/contract/index.js';
import { call, chatBody } from '../client.js';
import { admin, servingRegion, viewerHeaders, sleep, type Scenario } from '../scenario.js';

const LIMIT_MS = 1000;

async function taskStatus(port: number, key: string, originVerify: string, model: string): Promise<number> {
  const r = await request(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', [ORIGIN_VERIFY_HEADER]: originVerify },
    body: JSON.stringify(chatBody(model)),
  });
  await r.body.text();
  return r.statusCode;
}

export const revoke: Scenario = {
  id: 'c',
  title: 'revoke: edge 401 with x-skyway-edge once the KVS is written; every api task refuses within 1 s',
  async run(ctx) {
    const key = ctx.state.key;
    if (!key) return { pass: false, figures: 'no key from scenario a' };
    const region = servingRegion(ctx);
    const ports = region.api.tasks.map((t) => t.port);
    const warm = await Promise.all(ports.map((p) => taskStatus(p, key.key, ctx.originVerify, ctx.state.model)));
    const r0 = Date.now();
    const r = await admin(ctx, 'POST', `/admin/keys/${key.id}/revoke`, { reason: 'rehearsal' });
    // The revocation is effective when the admin API has answered; the clocks start there.
    const t0 = Date.now();
    const revokeMs = t0 - r0;
    const refusedAt: Array<number | undefined> = ports.map(() => undefined);
    const tasks = Promise.all(
      ports.map(async (p, i) => {
        while (Date.now() - t0 < 5000) {
          if ((await taskStatus(p, key.key, ctx.originVerify, ctx.state.model)) === 401) return void (refusedAt[i] = Date.now() - t0);
          await sleep(10);
        }
      }),
    );
    let edgeMs: number | undefined;
    let edge = await call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', { token: key.key, body: chatBody(ctx.state.model), headers: viewerHeaders(ctx) });
    while (Date.now() - t0 < 10_000) {
      if (edge.status === 401 && edge.headers[EDGE_ANSWER_HEADER]) {
        edgeMs = Date.now() - t0;
        break;
      }
      await sleep(20);
      edge = await call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', { token: key.key, body: chatBody(ctx.state.model), headers: viewerHeaders(ctx) });
    }
    await tasks;
    const code = edge.status === 401 ? edge.json<{ error: { code: string } }>().error.code : '-';
    const pass = r.status === 200 && warm.every((s) => s === 200) && refusedAt.every((x) => x !== undefined && x <= LIMIT_MS) && edgeMs !== undefined;
    return {
      pass,
      figures: `revoke ${r.status} in ${revokeMs} ms; before: tasks ${warm.join('/')}; tasks refuse after ${refusedAt.map((x) => (x === undefined ? 'never' : `${x} ms`)).join('/')} (limit ${LIMIT_MS} ms); edge 401 ${code} with ${EDGE_ANSWER_HEADER} after ${edgeMs ?? 'never'} ms`,
    };
  },
};
