import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { contractEnvironment } from './contract-env.js';

/** Where the gateway's console sign-in receives the provider's redirect (regional/src/admin/console/oidc-login.ts). */
export const CONSOLE_OIDC_CALLBACK_PATH = '/admin/session/oidc/callback';
/** The console's home page, where sign-out returns. */
export const CONSOLE_HOME_PATH = '/console/';

export interface ConsoleUserPoolProps {
  /** Public origin of the admin console, e.g. `https://admin.example.com` (no trailing slash). */
  readonly consoleOrigin: string;
  /** Prefix of the Cognito hosted UI domain (`<prefix>.auth.<region>.amazoncognito.com`), unique in the region. */
  readonly domainPrefix: string;
  /**
   * Email domains whose owners may sign themselves up (checked by a pre-sign-up Lambda).
   * @default [] - no self sign-up: administrators create the users
   */
  readonly allowedEmailDomains?: readonly string[];
  /**
   * An SES-verified sender for the pool's mail (in `sesRegion`); Cognito's own mailer allows about 50 mails a day.
   * @default - Cognito's mailer
   */
  readonly sesFromEmail?: string;
  /**
   * Region of the SES identity.
   * @default - the stack's region
   */
  readonly sesRegion?: string;
  /**
   * Keep the user pool when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/** The pre-sign-up trigger: admits only emails of the allowed domains (CommonJS: inline Lambda code). */
export const PRE_SIGN_UP_SOURCE = `exports.handler = async (event) => {
  const allowed = (process.env.ALLOWED_EMAIL_DOMAINS || '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
  const email = String((event.request && event.request.userAttributes && event.request.userAttributes.email) || '').toLowerCase();
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (email.indexOf('@') < 1 || allowed.indexOf(domain) < 0) throw new Error('Sign-up is open only to addresses of: ' + allowed.join(', '));
  return event;
};
`;

/**
 * Sign-in for the admin console: a Cognito user pool (email as user name, strong passwords, optional TOTP MFA),
 * its hosted UI domain, a public app client for authorization code + PKCE whose callback is the console's
 * `/admin/session/oidc/callback`, `admin` and `viewer` groups (the `cognito:groups` claim gives the role; anyone
 * else is a member if a Skyway user with their email belongs to a team) and, when `allowedEmailDomains` is
 * set, self sign-up limited to those domains.
 */
export class ConsoleUserPool extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the issuer of the pool's tokens. */
  readonly issuer: string;
  readonly consoleOrigin: string;

  constructor(scope: Construct, id: string, props: ConsoleUserPoolProps) {
    super(scope, id);
    if (!/^https:\/\/[^/]+$/.test(props.consoleOrigin)) throw new Error(`ConsoleUserPool: consoleOrigin must be https://<host> with no path (got '${props.consoleOrigin}')`);
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(props.domainPrefix) || /aws|amazon|cognito/.test(props.domainPrefix)) {
      throw new Error(`ConsoleUserPool: domainPrefix '${props.domainPrefix}' must be lowercase letters, digits and hyphens, without aws/amazon/cognito`);
    }
    this.consoleOrigin = props.consoleOrigin;
    const domains = props.allowedEmailDomains ?? [];
    for (const d of domains) if (!/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(d)) throw new Error(`ConsoleUserPool: '${d}' is not an email domain`);

    this.userPool = new cognito.UserPool(this, 'Pool', {
      selfSignUpEnabled: domains.length > 0,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: props.retain ?? true,
      removalPolicy: props.retain ?? true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      ...(props.sesFromEmail ? { email: cognito.UserPoolEmail.withSES({ fromEmail: props.sesFromEmail, sesRegion: props.sesRegion ?? Stack.of(this).region }) } : {}),
    });
    if (domains.length) {
      const preSignUp = new lambda.Function(this, 'PreSignUp', {
        runtime: lambda.determineLatestNodeRuntime(this),
        handler: 'index.handler',
        code: lambda.Code.fromInline(PRE_SIGN_UP_SOURCE),
        environment: { ALLOWED_EMAIL_DOMAINS: domains.map((d) => d.toLowerCase()).join(',') },
        timeout: Duration.seconds(5),
        description: 'Skyway console: admit sign-ups from allowed email domains only',
      });
      this.userPool.addTrigger(cognito.UserPoolOperation.PRE_SIGN_UP, preSignUp);
      Validations.of(preSignUp).acknowledge({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'The trigger only writes its own logs: AWSLambdaBasicExecutionRole is exactly that.' });
    }
    for (const group of ['admin', 'viewer']) new cognito.CfnUserPoolGroup(this, `Group-${group}`, { userPoolId: this.userPool.userPoolId, groupName: group, description: `Skyway console ${group}s` });

    this.domain = this.userPool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.client = this.userPool.addClient('Console', {
      generateSecret: false,
      authFlows: {},
      preventUserExistenceErrors: true,
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`${props.consoleOrigin}${CONSOLE_OIDC_CALLBACK_PATH}`],
        logoutUrls: [`${props.consoleOrigin}${CONSOLE_HOME_PATH}`],
      },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
    });
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'TOTP MFA is offered to every user (optional); requiring it is a per-organisation policy, set in the pool when wanted.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan (threat protection) costs per active user; Essentials is the default, upgrade in the pool when wanted.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG3',
      reason: 'Threat protection needs the Plus feature plan (per-user cost); the console is also behind the admin host allowlist in the WAF.',
    });
  }

  /**
   * The admin role's settings for console sign-in through this pool (see README "Console"). The audience is the
   * client id (Cognito ID tokens carry it in `aud`); `SKYWAY_CONSOLE_URL` is the origin the gateway appends
   * the callback path to, so the redirect URI it sends is exactly the client's callback URL.
   */
  consoleEnvironment(): Record<string, string> {
    return contractEnvironment({
      SKYWAY_OIDC_ISSUER: this.issuer,
      SKYWAY_OIDC_AUDIENCE: this.client.userPoolClientId,
      SKYWAY_OIDC_CLIENT_ID: this.client.userPoolClientId,
      SKYWAY_OIDC_ROLES_CLAIM: 'cognito:groups',
      SKYWAY_CONSOLE_URL: this.consoleOrigin,
    });
  }
}
