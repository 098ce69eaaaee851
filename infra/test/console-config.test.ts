/**
 * The `console` entry of an environment in cdk.json: validated at synth time with errors that name the field,
 * and optional: without it the stacks create no user pool and the admin role signs in with the master key only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EnvironmentConfigError, parseEnvironment } from '../lib/config/environment.js';
import { adminEnvironment } from './console-assertions.js';
import { openNagFindings } from './nag-assertions.js';
import { projectContext, removeSynthesized, synthEnvironment, type SynthesizedEnvironment } from './synth.js';

const environments = projectContext()['skyway:environments'] as Record<string, Record<string, unknown>>;
const withConsole = (console: unknown) => ({ e: { ...environments.dev, console } });

describe('console settings in cdk.json', () => {
  it('are read with defaults (no allowed domains: administrators create users)', () => {
    const c = parseEnvironment(withConsole({ domainPrefix: 'skyway-x-1' }), 'e').console;
    assert.deepEqual(c, { domainPrefix: 'skyway-x-1', allowedEmailDomains: [] });
  });

  it('refuse a bad domain prefix, a bad email domain, a bad sender and unknown fields, naming each', () => {
    const fails = (console: unknown, pattern: RegExp) =>
      assert.throws(() => parseEnvironment(withConsole(console), 'e'), (err: unknown) => err instanceof EnvironmentConfigError && pattern.test(err.message));
    fails({ domainPrefix: 'Skyway_Dev' }, /console\.domainPrefix: lowercase letters/);
    fails({ domainPrefix: 'skyway-cognito' }, /console\.domainPrefix: must not contain aws, amazon or cognito/);
    fails({ domainPrefix: 'ok', allowedEmailDomains: ['not a domain'] }, /console\.allowedEmailDomains\.0: an email domain/);
    fails({ domainPrefix: 'ok', sesFromAddress: 'nobody' }, /console\.sesFromAddress/);
    fails({ domainPrefix: 'ok', domainprefix: 'typo' }, /console: .*domainprefix/i);
  });
});

describe('an environment without console settings', () => {
  let env: SynthesizedEnvironment;
  before(() => {
    env = synthEnvironment('dev', { console: undefined });
  });
  after(() => removeSynthesized(env));

  it('has no user pool, and the admin role no OIDC settings (master key sign-in only); cdk-nag still passes', () => {
    assert.equal(env.config.console, undefined);
    for (const t of env.regions.values()) {
      for (const type of ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolDomain', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolGroup']) t.resourceCountIs(type, 0);
      assert.ok(!JSON.stringify(t.findResources('AWS::Lambda::Function')).includes('ALLOWED_EMAIL_DOMAINS'), 'no pre-sign-up trigger');
      const admin = adminEnvironment(t);
      for (const name of ['SKYWAY_OIDC_ISSUER', 'SKYWAY_OIDC_AUDIENCE', 'SKYWAY_OIDC_CLIENT_ID', 'SKYWAY_CONSOLE_URL']) assert.equal(admin[name], undefined, name);
    }
    assert.deepEqual(openNagFindings(env.app), []);
  });
});
