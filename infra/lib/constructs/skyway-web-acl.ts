import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** Label the Core rule set puts on requests whose body exceeds its 8 KB limit. */
export const SIZE_RESTRICTIONS_BODY_LABEL = 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body';

/** Paths of multipart uploads (audio, image edits): binary bodies the Core rule set's body rules must not judge. */
export const MEDIA_UPLOAD_PATHS: readonly string[] = ['/v1/audio/transcriptions', '/v1/audio/translations', '/v1/images/edits'];

/** Core rule set rules that inspect the body: counted (not blocked) on upload paths, where the body is binary. */
export const UPLOAD_COUNTED_BODY_RULES: readonly string[] = ['SizeRestrictions_BODY', 'CrossSiteScripting_BODY', 'GenericLFI_BODY', 'GenericRFI_BODY', 'EC2MetaDataSSRF_BODY'];

export interface SkywayWebAclProps {
  /** Name of the web ACL (also its metric name). */
  readonly name: string;
  /** Admin host name (`admin.<zone>`): only `adminAllowlist` may reach it. */
  readonly adminHost: string;
  /** CIDRs allowed on the admin host. An empty list closes the admin host entirely. */
  readonly adminAllowlist: readonly string[];
  /** Requests per source IP per window. */
  readonly ipRateLimit: number;
  /** Requests per `authorization` header value per window. */
  readonly authorizationRateLimit: number;
  /** Rate-based rule evaluation window in seconds (60, 120, 300 or 600). */
  readonly windowSeconds: number;
  /**
   * Path prefixes of the LLM API, where prompts legitimately exceed the Core rule set's 8 KB body limit
   * (the gateway enforces its own body limit there).
   * @default ['/v1/']
   */
  readonly apiPathPrefixes?: readonly string[];
  /**
   * Paths of multipart uploads: the Core rule set runs there with its body rules counted (random audio and
   * image bytes match its XSS/LFI patterns); the gateway caps the size (SKYWAY_MEDIA_MAX_UPLOAD_BYTES).
   * @default MEDIA_UPLOAD_PATHS
   */
  readonly uploadPaths?: readonly string[];
  /**
   * Path prefixes of the admin API, blocked on every host except the admin host.
   * @default ['/admin', '/console']
   */
  readonly adminPathPrefixes?: readonly string[];
  /**
   * Path prefixes never served through CloudFront (scraped inside the VPC only).
   * @default ['/metrics']
   */
  readonly internalPathPrefixes?: readonly string[];
  /**
   * How much of a body WAF inspects (CloudFront default 16 KB, at most 64 KB).
   * @default 'KB_64'
   */
  readonly bodyInspectionLimit?: 'KB_16' | 'KB_32' | 'KB_48' | 'KB_64';
}

type Statement = wafv2.CfnWebACL.StatementProperty;

const LOWERCASE = [{ priority: 0, type: 'LOWERCASE' }];

function uriStartsWith(prefix: string): Statement {
  return { byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint: 'STARTS_WITH', searchString: prefix, textTransformations: LOWERCASE } };
}

function anyOf(statements: Statement[]): Statement {
  return statements.length === 1 ? statements[0]! : { orStatement: { statements } };
}

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

function managed(name: string, priority: number, extra: Partial<wafv2.CfnWebACL.ManagedRuleGroupStatementProperty> = {}): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ...extra } },
    visibilityConfig: visibility(name),
  };
}

/**
 * The CloudFront-scope web ACL in front of Skyway: a flood guard and a filter, not the quota system (rate-based
 * counting lags by minutes; the gateway enforces limits exactly).
 */
export class SkywayWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: SkywayWebAclProps) {
    super(scope, id);
    const apiPrefixes = props.apiPathPrefixes ?? ['/v1/'];
    const uploadPaths = props.uploadPaths ?? MEDIA_UPLOAD_PATHS;
    if (uploadPaths.length === 0) throw new Error('SkywayWebAcl: uploadPaths must name at least one path');
    const uploads = anyOf(uploadPaths.map(uriStartsWith));
    const adminPrefixes = props.adminPathPrefixes ?? ['/admin', '/console'];
    const internalPrefixes = props.internalPathPrefixes ?? ['/metrics'];
    const adminHostIs: Statement = {
      byteMatchStatement: {
        fieldToMatch: { singleHeader: { Name: 'host' } },
        positionalConstraint: 'EXACTLY',
        searchString: props.adminHost.toLowerCase(),
        textTransformations: LOWERCASE,
      },
    };
    const allowlist = new wafv2.CfnIPSet(this, 'AdminAllowlist', {
      scope: 'CLOUDFRONT',
      ipAddressVersion: 'IPV4',
      addresses: props.adminAllowlist.filter((c) => !c.includes(':')),
      description: 'Networks allowed on the Skyway admin host',
    });
    const allowlistV6 = new wafv2.CfnIPSet(this, 'AdminAllowlistV6', {
      scope: 'CLOUDFRONT',
      ipAddressVersion: 'IPV6',
      addresses: props.adminAllowlist.filter((c) => c.includes(':')),
      description: 'IPv6 networks allowed on the Skyway admin host',
    });
    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'AdminHostAllowlist',
        priority: 0,
        action: { block: {} },
        statement: {
          andStatement: {
            statements: [
              adminHostIs,
              {
                notStatement: {
                  statement: {
                    orStatement: {
                      statements: [
                        { ipSetReferenceStatement: { arn: allowlist.attrArn } },
                        { ipSetReferenceStatement: { arn: allowlistV6.attrArn } },
                      ],
                    },
                  },
                },
              },
            ],
          },
        },
        visibilityConfig: visibility('AdminHostAllowlist'),
      },
      {
        name: 'BlockOperationalPaths',
        priority: 1,
        action: { block: {} },
        statement: anyOf([
          ...internalPrefixes.map(uriStartsWith),
          { andStatement: { statements: [{ notStatement: { statement: adminHostIs } }, anyOf(adminPrefixes.map(uriStartsWith))] } },
        ]),
        visibilityConfig: visibility('BlockOperationalPaths'),
      },
      {
        name: 'RatePerIp',
        priority: 2,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: props.ipRateLimit, evaluationWindowSec: props.windowSeconds, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility('RatePerIp'),
      },
      {
        name: 'RatePerAuthorization',
        priority: 3,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            limit: props.authorizationRateLimit,
            evaluationWindowSec: props.windowSeconds,
            aggregateKeyType: 'CUSTOM_KEYS',
            customKeys: [{ header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } }],
          },
        },
        visibilityConfig: visibility('RatePerAuthorization'),
      },
      managed('AWSManagedRulesAmazonIpReputationList', 4),
      // SizeRestrictions_BODY blocks bodies over 8 KB, i.e. most prompts: count it here and block below only
      // outside the API paths, where the gateway does not enforce its own body limit.
      managed('AWSManagedRulesCommonRuleSet', 5, {
        ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }],
        scopeDownStatement: { notStatement: { statement: uploads } },
      }),
      {
        ...managed('AWSManagedRulesCommonRuleSet', 8, {
          ruleActionOverrides: UPLOAD_COUNTED_BODY_RULES.map((name) => ({ name, actionToUse: { count: {} } })),
          scopeDownStatement: uploads,
        }),
        name: 'CommonRuleSetUploads',
        visibilityConfig: visibility('CommonRuleSetUploads'),
      },
      {
        name: 'BodySizeOutsideApi',
        priority: 6,
        action: { block: {} },
        statement: {
          andStatement: {
            statements: [
              { labelMatchStatement: { scope: 'LABEL', key: SIZE_RESTRICTIONS_BODY_LABEL } },
              { notStatement: { statement: anyOf(apiPrefixes.map(uriStartsWith)) } },
            ],
          },
        },
        visibilityConfig: visibility('BodySizeOutsideApi'),
      },
      managed('AWSManagedRulesKnownBadInputsRuleSet', 7),
    ];
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.name,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      rules,
      visibilityConfig: visibility(props.name),
      associationConfig: { requestBody: { CLOUDFRONT: { defaultSizeInspectionLimit: props.bodyInspectionLimit ?? 'KB_64' } } },
    });
  }
}
