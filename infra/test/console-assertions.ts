/**
 * Console sign-in in the synthesized stacks (registered by stacks.test.ts): the region whose admin service the
 * admin host reaches has the Cognito user pool, its hosted UI domain and a client whose callback is the gateway's
 * own callback route on the admin host; its admin task definition points the gateway at exactly those.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { oidcLoginRoutes } from '../../regional/src/admin/console/oidc-login.js';
import { hostNames } from '../lib/config/environment.js';
import { CONSOLE_OIDC_CALLBACK_PATH } from '../lib/constructs/console-user-pool.js';
import { onlyResource, type SynthesizedEnvironment } from './synth.js';

type Env = Array<{ Name: string; Value: unknown }>;

/** The admin task definition's plain environment, by name. */
export function adminEnvironment(t: Template): Record<string, unknown> {
  for (const def of Object.values(t.findResources('AWS::ECS::TaskDefinition'))) {
    const env = ((def.Properties as { ContainerDefinitions: Array<{ Environment?: Env }> }).ContainerDefinitions[0]!.Environment ?? []) as Env;
    const map = Object.fromEntries(env.map((e) => [e.Name, e.Value]));
    if (map['SKYWAY_ROLE'] === 'admin') return map;
  }
  throw new Error('no admin task definition');
}

const logicalIdOf = (t: Template, type: string): string => {
  const ids = Object.keys(t.findResources(type));
  assert.equal(ids.length, 1, `exactly one ${type}`);
  return ids[0]!;
};

export function consoleTests(get: () => SynthesizedEnvironment): void {
  it('the callback path the client allows is a route of the gateway', () => {
    const stub = undefined as never;
    const paths = oidcLoginRoutes({ db: stub, oidc: undefined, sessions: stub }).map((r) => r.path);
    assert.ok(paths.includes(CONSOLE_OIDC_CALLBACK_PATH), `${CONSOLE_OIDC_CALLBACK_PATH} in ${paths.join(', ')}`);
  });

  it('the first region has the user pool, hosted UI domain and code+PKCE client on the admin host; other regions none', () => {
    const { config, regions } = get();
    const console = config.console;
    assert.ok(console, `${config.name} has console settings in cdk.json`);
    const origin = `https://${hostNames(config).admin}`;
    for (const [index, r] of config.regions.entries()) {
      const t = regions.get(r.region)!;
      if (index > 0) {
        for (const type of ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolDomain', 'AWS::Cognito::UserPoolClient']) t.resourceCountIs(type, 0);
        continue;
      }
      onlyResource(t, 'AWS::Cognito::UserPool', { UsernameAttributes: ['email'] });
      const pool = logicalIdOf(t, 'AWS::Cognito::UserPool');
      onlyResource(t, 'AWS::Cognito::UserPoolDomain', { Domain: console.domainPrefix, UserPoolId: { Ref: pool } });
      const client = onlyResource(t, 'AWS::Cognito::UserPoolClient', { UserPoolId: { Ref: pool } });
      assert.deepEqual(client.CallbackURLs, [`${origin}${CONSOLE_OIDC_CALLBACK_PATH}`]);
      assert.deepEqual([client.GenerateSecret, client.AllowedOAuthFlows], [false, ['code']]);
      const trigger = t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { ALLOWED_EMAIL_DOMAINS: console.allowedEmailDomains.join(',') } } } });
      assert.equal(Object.keys(trigger).length, console.allowedEmailDomains.length ? 1 : 0, 'pre-sign-up trigger with the allowed domains');
      const sender = JSON.stringify(t.findResources('AWS::Cognito::UserPool'));
      if (console.sesFromAddress) assert.ok(sender.includes(console.sesFromAddress), 'SES sender from cdk.json');
    }
  });

  it("the first region's admin task definition names that pool's issuer, that client and the admin host", () => {
    const { config, regions } = get();
    const first = config.regions[0]!.region;
    const t = regions.get(first)!;
    const pool = logicalIdOf(t, 'AWS::Cognito::UserPool');
    const client = logicalIdOf(t, 'AWS::Cognito::UserPoolClient');
    const env = adminEnvironment(t);
    assert.deepEqual(env['SKYWAY_OIDC_ISSUER'], { 'Fn::Join': ['', [`https://cognito-idp.${first}.amazonaws.com/`, { Ref: pool }]] });
    assert.deepEqual(env['SKYWAY_OIDC_CLIENT_ID'], { Ref: client });
    assert.deepEqual(env['SKYWAY_OIDC_AUDIENCE'], { Ref: client }, 'Cognito ID tokens carry the client id as aud');
    assert.equal(env['SKYWAY_OIDC_ROLES_CLAIM'], 'cognito:groups');
    // The gateway sends <SKYWAY_CONSOLE_URL><callback path> as redirect_uri: it must be the client's callback URL.
    assert.equal(env['SKYWAY_CONSOLE_URL'], `https://${hostNames(config).admin}`);
    for (const r of config.regions.slice(1)) {
      const other = adminEnvironment(regions.get(r.region)!);
      assert.equal(other['SKYWAY_OIDC_ISSUER'], undefined, `${r.region} has no console sign-in of its own`);
    }
  });
}
