/** The console's Cognito user pool construct: template, synth-time guards, cdk-nag, and the trigger's own code. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConsoleUserPool } from '../lib/constructs/console-user-pool.js';
import { openNagFindings } from './nag-assertions.js';

function synth(props: Partial<ConstructorParameters<typeof ConsoleUserPool>[2]> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Console', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pool = new ConsoleUserPool(stack, 'ConsoleUsers', { consoleOrigin: 'https://admin.example.com', domainPrefix: 'skyway-dev-console', allowedEmailDomains: ['Example.com', 'example.org'], ...props });
  return { app, stack, pool, template: Template.fromStack(stack) };
}

describe('ConsoleUserPool', () => {
  const { app, stack, pool, template } = synth();

  it('a pool with email sign-in, strong passwords, optional TOTP, retained', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        MfaConfiguration: 'OPTIONAL',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
        Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
        LambdaConfig: { PreSignUp: Match.anyValue() },
      }),
    });
  });

  it('a hosted UI domain and a public code-flow client whose callback is the console', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'skyway-dev-console' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid', 'email']),
      CallbackURLs: ['https://admin.example.com/admin/session/oidc/callback'],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
    });
    for (const g of ['admin', 'viewer']) template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: g });
  });

  it('the admin role gets the settings the gateway reads (the issuer names this pool)', () => {
    const env = stack.resolve(pool.consoleEnvironment()) as Record<string, unknown>;
    assert.equal(env.SKYWAY_OIDC_ROLES_CLAIM, 'cognito:groups');
    assert.equal(env.SKYWAY_CONSOLE_URL, 'https://admin.example.com');
    assert.match(JSON.stringify(env.SKYWAY_OIDC_ISSUER), /cognito-idp\.eu-west-1\.amazonaws\.com/);
    assert.match(JSON.stringify(env.SKYWAY_OIDC_ISSUER), /ConsoleUsersPool/);
    assert.match(JSON.stringify(env.SKYWAY_OIDC_AUDIENCE), /ConsoleUsersPoolConsole/);
  });

  it('the synthesized pre-sign-up trigger admits only the allowed domains', async () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as { Properties: { Code: { ZipFile: string }; Environment: { Variables: Record<string, string> } } };
    const module = { exports: {} as { handler?: (e: unknown) => Promise<unknown> } };
    runInNewContext(fn.Properties.Code.ZipFile, { exports: module.exports, module, process: { env: fn.Properties.Environment.Variables } });
    const signUp = (email: string) => module.exports.handler!({ request: { userAttributes: { email } } });
    assert.ok(await signUp('dev@example.com'));
    assert.ok(await signUp('Dev@EXAMPLE.ORG'));
    await assert.rejects(signUp('dev@example.com.evil.test'), /open only to addresses of: example.com, example.org/);
    await assert.rejects(signUp('dev@evil.test'));
    await assert.rejects(signUp('no-at-sign'));
  });

  it('passes cdk-nag AwsSolutions (findings acknowledged with reasons)', () => {
    assert.deepEqual(openNagFindings(app), []);
  });

  it('without allowed domains: admin-created users only, no trigger', () => {
    const closed = synth({ allowedEmailDomains: [], retain: false }).template;
    closed.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    closed.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('refuses bad origins and domain prefixes at synth time', () => {
    assert.throws(() => synth({ consoleOrigin: 'http://admin.example.com' }), /consoleOrigin/);
    assert.throws(() => synth({ consoleOrigin: 'https://admin.example.com/' }), /consoleOrigin/);
    assert.throws(() => synth({ domainPrefix: 'my-cognito-login' }), /domainPrefix/);
    assert.throws(() => synth({ allowedEmailDomains: ['not a domain'] }), /email domain/);
  });
});
