/** b. The key from a works through the edge's API host, served by the api tasks: JSON and stream. */
import { call, chatBody, stream } from '../client.js';
import { servingRegion, viewerHeaders, sleep, type Scenario } from '../scenario.js';

export const apiHost: Scenario = {
  id: 'b',
  title: 'key works through the API host (JSON and stream), served by the api tasks',
  async run(ctx) {
    const key = ctx.state.key;
    if (!key) return { pass: false, figures: 'no key from scenario a' };
    const region = servingRegion(ctx);
    const apiGroup = region.api.spec.targetGroupId;
    const before = new Map(region.alb.served);
    // Deployments reach the api tasks through the change bus: allow a moment for the model to appear.
    let json = await call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', { token: key.key, body: chatBody(ctx.state.model), headers: viewerHeaders(ctx) });
    for (let i = 0; i < 50 && json.status !== 200; i++) {
      await sleep(100);
      json = await call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', { token: key.key, body: chatBody(ctx.state.model), headers: viewerHeaders(ctx) });
    }
    const content = json.status === 200 ? String(json.json<{ choices: Array<{ message: { content: string } }> }>().choices[0]?.message.content ?? '') : '';
    const streams = await Promise.all(Array.from({ length: 4 }, () => stream(ctx.d.cloudfront.url, ctx.d.hosts.api, key.key, ctx.state.model, viewerHeaders(ctx))));
    const otherModel = await call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', { token: key.key, body: chatBody('not-in-the-key-list'), headers: viewerHeaders(ctx) });
    const served = region.api.tasks.map((t) => (region.alb.served.get(t.name) ?? 0) - (before.get(t.name) ?? 0));
    const everyTask = served.every((n) => n > 0);
    const pass = json.status === 200 && content.length > 0 && streams.every((s) => s.status === 200 && s.complete) && otherModel.status >= 400 && everyTask && apiGroup.length > 0;
    return {
      pass,
      figures:
        `json ${json.status} (${content.length} chars), streams ${streams.filter((s) => s.complete).length}/${streams.length} complete (${streams.map((s) => s.chunks).join('/')} events), ` +
        `model outside the key's list ${otherModel.status}; api tasks served ${served.join('/')} in ${region.region}` + (pass ? '' : ` | ${json.text.slice(0, 300)}`),
    };
  },
};
