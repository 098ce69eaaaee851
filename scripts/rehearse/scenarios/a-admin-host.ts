/**
 * a. Through the edge's admin host: sign in with the master key read from its secret, register the model (the
 * mock upstream, its credential sealed with KMS), create a team and a key with a model list, an RPM limit and a
 * budget. The admin API must not be reachable through the API host.
 */
import { call } from '../client.js';
import { admin, type Scenario, servingRegion } from '../scenario.js';

/** USD per million tokens for the rehearsal model: big enough that a few requests reach a small budget. */
export const REHEARSAL_PRICE = { input: 1000, output: 1000 };
export const KEY_RPM = 600;
export const KEY_BUDGET_USD = 5;

export const adminHost: Scenario = {
  id: 'a',
  title: 'admin host: master key from the secret, team + key with models, RPM and budget',
  async run(ctx) {
    const t0 = Date.now();
    const me = await admin(ctx, 'GET', '/admin/keys?limit=1');
    const viaApiHost = await call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'GET', '/admin/keys?limit=1', { token: ctx.masterKey });
    const wrongKey = await call(ctx.d.cloudfront.url, ctx.d.hosts.admin, 'GET', '/admin/keys?limit=1', { token: 'sk-not-the-master-key' });
    // Console sign-in: the console offers SSO exactly when the admin task definition names an OIDC issuer (the
    // Cognito pool of cdk.json's `console`); the issuer itself is not reachable here (mapping.ts).
    const signIn = await call(ctx.d.cloudfront.url, ctx.d.hosts.admin, 'GET', '/admin/session/config');
    const ssoExpected = servingRegion(ctx).model.tasks.some((t) => t.role === 'admin' && t.environment['SKYWAY_OIDC_ISSUER'] !== undefined);
    const sso = signIn.status === 200 ? signIn.json<{ oidc: boolean }>().oidc : undefined;
    const dep = await admin(ctx, 'POST', '/admin/deployments', {
      model_name: ctx.state.model,
      provider: 'openai',
      upstream_model: 'gpt-4o-mini',
      api_base: `${ctx.mock.url}/v1`,
      api_key: 'sk-rehearsal-upstream',
      options: { pricing: REHEARSAL_PRICE },
    });
    const team = await admin(ctx, 'POST', '/admin/teams', { name: `rehearsal-${Date.now()}`, budget: { max_usd: 100, period: 'monthly' } });
    ctx.state.teamId = team.status === 201 ? team.json<{ id: string }>().id : undefined;
    const key = await admin(ctx, 'POST', '/admin/keys', {
      team_id: ctx.state.teamId,
      models: [ctx.state.model],
      limits: { rpm: KEY_RPM },
      budget: { max_usd: KEY_BUDGET_USD, period: 'monthly' },
    });
    if (key.status === 201) ctx.state.key = { id: key.json<{ id: string }>().id, key: key.json<{ key: string }>().key };
    const created = key.status === 201 ? key.json<{ models: string[]; limits: { rpm: number }; budget: { max_usd: number } }>() : undefined;
    const credential = dep.status === 201 ? dep.json<{ credential: string }>().credential : 'none';
    const pass =
      me.status === 200 && viaApiHost.status === 403 && wrongKey.status === 401 && sso === ssoExpected && dep.status === 201 && credential === 'encrypted' && team.status === 201 &&
      key.status === 201 && created!.models.join() === ctx.state.model && created!.limits.rpm === KEY_RPM && created!.budget.max_usd === KEY_BUDGET_USD;
    return {
      pass,
      figures:
        `admin host ${me.status}, via api host ${viaApiHost.status}, wrong key ${wrongKey.status}, console SSO ${sso} (template: ${ssoExpected}); deployment ${dep.status} (credential ${credential}), ` +
        `team ${team.status}, key ${key.status} (models ${created?.models.join(',') ?? '-'}, rpm ${created?.limits.rpm ?? '-'}, budget $${created?.budget.max_usd ?? '-'}) in ${Date.now() - t0} ms` +
        (pass ? '' : ` | ${dep.status !== 201 ? dep.text : key.text}`.slice(0, 400)),
    };
  },
};
