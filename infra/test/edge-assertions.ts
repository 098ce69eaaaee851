/** Assertions on the edge stack of one synthesized environment (registered by stacks.test.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { globalSecretNames, hostNames, originHostName, originId } from '../lib/config/environment.js';
import { MEDIA_UPLOAD_PATHS, SIZE_RESTRICTIONS_BODY_LABEL, UPLOAD_COUNTED_BODY_RULES } from '../lib/constructs/skyway-web-acl.js';
import { onlyResource, resourcesOf, type SynthesizedEnvironment } from './synth.js';

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

interface WafRule {
  Name: string;
  Priority: number;
  Action?: Record<string, unknown>;
  Statement: Record<string, unknown>;
}

export function edgeTests(get: () => SynthesizedEnvironment): void {
  it('deploys the edge to us-east-1', () => {
    assert.equal(get().stacks.edge.region, 'us-east-1');
  });

  it('creates the KeyValueStore and associates it with a cloudfront-js-2.0 function built from the artifact', () => {
    const { edge, functionFile } = get();
    onlyResource(edge, 'AWS::CloudFront::KeyValueStore');
    const fn = onlyResource(edge, 'AWS::CloudFront::Function', { FunctionConfig: Match.objectLike({ KeyValueStoreAssociations: Match.anyValue() }) }) as {
      FunctionCode: string;
      AutoPublish: boolean;
      FunctionConfig: { Runtime: string; KeyValueStoreAssociations: Array<{ KeyValueStoreARN: unknown }> };
    };
    assert.equal(fn.FunctionConfig.Runtime, 'cloudfront-js-2.0');
    assert.equal(fn.FunctionConfig.KeyValueStoreAssociations.length, 1);
    assert.equal(fn.FunctionCode, readFileSync(functionFile, 'utf8'));
    assert.equal(fn.AutoPublish, true);
  });

  it('serves both hosts over HTTPS only with TLS 1.2+, uncached, forwarding every header but Host, logged and behind WAF', () => {
    const { edge, config } = get();
    const hosts = hostNames(config);
    const dist = (onlyResource(edge, 'AWS::CloudFront::Distribution') as { DistributionConfig: Record<string, any> }).DistributionConfig;
    assert.deepEqual(dist.Aliases, [hosts.api, hosts.admin]);
    assert.equal(dist.ViewerCertificate.MinimumProtocolVersion, 'TLSv1.2_2021');
    assert.equal(dist.ViewerCertificate.SslSupportMethod, 'sni-only');
    assert.ok(dist.Logging?.Bucket, 'access logs are on');
    assert.ok(dist.WebACLId, 'a web ACL is attached');
    assert.equal(dist.PriceClass, config.priceClass);
    const behaviours = [dist.DefaultCacheBehavior, ...(dist.CacheBehaviors ?? [])];
    for (const b of behaviours) {
      assert.equal(b.ViewerProtocolPolicy, 'https-only');
      assert.equal(b.CachePolicyId, CACHING_DISABLED);
      assert.equal(b.OriginRequestPolicyId, ALL_VIEWER_EXCEPT_HOST_HEADER);
      assert.equal(b.AllowedMethods.length, 7);
      assert.equal(b.FunctionAssociations.length, 1);
      assert.equal(b.FunctionAssociations[0].EventType, 'viewer-request');
    }
  });

  it('has one HTTPS origin per regional ALB with streaming-friendly timeouts and the origin-verification header', () => {
    const { edge, config } = get();
    const dist = (onlyResource(edge, 'AWS::CloudFront::Distribution') as { DistributionConfig: Record<string, any> }).DistributionConfig;
    const origins = dist.Origins as Array<Record<string, any>>;
    assert.deepEqual(
      origins.map((o) => [o.Id, o.DomainName]),
      config.regions.map((r) => [originId(r.region), originHostName(config, r.region)]),
    );
    for (const o of origins) {
      assert.equal(o.CustomOriginConfig.OriginProtocolPolicy, 'https-only');
      assert.deepEqual(o.CustomOriginConfig.OriginSSLProtocols, ['TLSv1.2']);
      assert.equal(o.CustomOriginConfig.OriginReadTimeout, 60);
      assert.equal(o.CustomOriginConfig.OriginKeepaliveTimeout, 60);
      const header = (o.OriginCustomHeaders as Array<{ HeaderName: string; HeaderValue: string }>).find((h) => h.HeaderName === 'x-skyway-origin-verify');
      assert.ok(header, 'origin-verification header present');
      // Never a literal: a dynamic reference resolved by CloudFormation at deploy time.
      assert.equal(header.HeaderValue, `{{resolve:secretsmanager:${globalSecretNames(config).originVerify}:SecretString:::}}`);
    }
    assert.equal(dist.DefaultCacheBehavior.TargetOriginId, originId(config.regions[0]!.region));
  });

  it('routes /admin on the admin host to the first region through its own behaviour and host-checking function', async () => {
    const { edge, config } = get();
    const dist = (onlyResource(edge, 'AWS::CloudFront::Distribution') as { DistributionConfig: Record<string, any> }).DistributionConfig;
    const admin = (dist.CacheBehaviors as Array<Record<string, any>>).filter((b) => /^\/(admin|console)/.test(String(b.PathPattern)));
    assert.deepEqual(admin.map((b) => b.PathPattern), ['/admin', '/admin/*', '/console', '/console/*']);
    for (const b of admin) {
      assert.equal(b.TargetOriginId, originId(config.regions[0]!.region));
      assert.ok(b.AllowedMethods.includes('POST') && b.AllowedMethods.includes('PATCH'));
      assert.equal(b.FunctionAssociations.length, 1);
    }
    const fnId = (admin[0]!.FunctionAssociations[0].FunctionARN as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const code = (edge.toJSON().Resources[fnId].Properties.FunctionCode as string);
    const { ViewerRequestFunction } = await import('../../edge/local/function-runner.js');
    const fn = new ViewerRequestFunction(code);
    const event = (host: string) => ({
      version: '1.0' as const,
      context: { distributionDomainName: 'd.cloudfront.net', distributionId: 'E1', eventType: 'viewer-request' as const, requestId: 'r' },
      viewer: { ip: '203.0.113.9' },
      request: { method: 'POST', uri: '/admin/keys', querystring: {}, cookies: {}, headers: { host: { value: host }, 'x-skyway-key-id': { value: 'forged' } } },
    });
    const ok = await fn.run(event(hostNames(config).admin), {});
    assert.ok(ok.request && !ok.request.headers['x-skyway-key-id'], 'admin host passes, viewer x-skyway-* stripped');
    const other = await fn.run(event(hostNames(config).api), {});
    assert.equal(other.response?.statusCode, 404, 'the API host never reaches the admin service');
  });

  it('creates the shared secrets in us-east-1 with a replica in every other region', () => {
    const { edge, config } = get();
    const names = globalSecretNames(config);
    const expected = config.regions.map((r) => r.region).filter((r) => r !== 'us-east-1');
    for (const name of [names.originVerify, names.masterKey, names.keySigning]) {
      const secret = onlyResource(edge, 'AWS::SecretsManager::Secret', { Name: name }) as { ReplicaRegions?: Array<{ Region: string }> };
      assert.deepEqual((secret.ReplicaRegions ?? []).map((r) => r.Region), expected);
    }
  });

  it('has a CLOUDFRONT web ACL with the managed rule sets, rate limits, admin allowlist, path blocks and 64 KB body inspection', () => {
    const { edge, config } = get();
    const acl = onlyResource(edge, 'AWS::WAFv2::WebACL') as { Scope: string; Rules: WafRule[]; AssociationConfig: any };
    assert.equal(acl.Scope, 'CLOUDFRONT');
    assert.equal(acl.AssociationConfig.RequestBody.CLOUDFRONT.DefaultSizeInspectionLimit, 'KB_64');
    const byName = new Map(acl.Rules.map((r) => [r.Name, r]));
    const managed = (name: string): any => (byName.get(name)?.Statement as any)?.ManagedRuleGroupStatement;
    assert.equal(managed('AWSManagedRulesKnownBadInputsRuleSet')?.VendorName, 'AWS');
    assert.equal(managed('AWSManagedRulesAmazonIpReputationList')?.VendorName, 'AWS');
    assert.deepEqual(managed('AWSManagedRulesCommonRuleSet')?.RuleActionOverrides, [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    // Multipart uploads (audio, image edits): the main Core rule set skips them; its second instance runs only
    // there, with the body rules counted (binary bytes match XSS/LFI patterns); the gateway caps their size.
    const mainScope = JSON.stringify(managed('AWSManagedRulesCommonRuleSet')?.ScopeDownStatement);
    const uploads = (byName.get('CommonRuleSetUploads')!.Statement as any).ManagedRuleGroupStatement;
    assert.equal(uploads.Name, 'AWSManagedRulesCommonRuleSet');
    assert.deepEqual(uploads.RuleActionOverrides.map((o: any) => [o.Name, Object.keys(o.ActionToUse)[0]]), UPLOAD_COUNTED_BODY_RULES.map((n) => [n, 'Count']));
    for (const path of MEDIA_UPLOAD_PATHS) {
      assert.ok(mainScope.includes('NotStatement') && mainScope.includes(`"${path}"`), `the main rule set skips ${path}`);
      assert.ok(JSON.stringify(uploads.ScopeDownStatement).includes(`"${path}"`), `the upload rule set covers ${path}`);
    }
    // The counted label is blocked again everywhere except the API paths.
    const bodyRule = byName.get('BodySizeOutsideApi')!;
    assert.ok(bodyRule.Action?.Block);
    assert.ok(byName.get('AWSManagedRulesCommonRuleSet')!.Priority < bodyRule.Priority, 'label rule runs after the rule set');
    const bodyJson = JSON.stringify(bodyRule.Statement);
    assert.ok(bodyJson.includes(SIZE_RESTRICTIONS_BODY_LABEL) && bodyJson.includes('"/v1/"') && bodyJson.includes('NotStatement'));

    const ip = (byName.get('RatePerIp')!.Statement as any).RateBasedStatement;
    assert.deepEqual([ip.AggregateKeyType, ip.Limit, ip.EvaluationWindowSec], ['IP', config.waf.ipRateLimit, config.waf.windowSeconds]);
    const auth = (byName.get('RatePerAuthorization')!.Statement as any).RateBasedStatement;
    assert.equal(auth.AggregateKeyType, 'CUSTOM_KEYS');
    assert.equal(auth.CustomKeys[0].Header.Name, 'authorization');
    assert.equal(auth.Limit, config.waf.authorizationRateLimit);

    const admin = JSON.stringify(byName.get('AdminHostAllowlist')!.Statement);
    assert.ok(admin.includes(hostNames(config).admin) && admin.includes('IPSetReferenceStatement') && admin.includes('NotStatement'));
    const ops = JSON.stringify(byName.get('BlockOperationalPaths')!.Statement);
    assert.ok(ops.includes('"/metrics"') && ops.includes('"/admin"'));
    for (const name of ['AdminHostAllowlist', 'BlockOperationalPaths', 'RatePerIp', 'RatePerAuthorization']) {
      assert.ok(byName.get(name)!.Action?.Block, `${name} blocks`);
    }
    const v4 = config.adminAllowlist.filter((c) => !c.includes(':'));
    onlyResource(edge, 'AWS::WAFv2::IPSet', { IPAddressVersion: 'IPV4', Addresses: v4, Scope: 'CLOUDFRONT' });
  });

  it('alarms on CloudFront 5xx rate, function errors, throttles and compute, and WAF blocks, to an encrypted SNS topic', () => {
    const { edge } = get();
    const alarms = resourcesOf(edge, 'AWS::CloudWatch::Alarm').map(([, p]) => p as { MetricName?: string; Namespace?: string; AlarmActions: unknown[] });
    const metricNames = alarms.map((a) => a.MetricName).sort();
    assert.deepEqual(metricNames, [
      '5xxErrorRate',
      'BlockedRequests',
      'FunctionComputeUtilization',
      'FunctionExecutionErrors',
      'FunctionThrottles',
      'FunctionValidationErrors',
    ]);
    for (const a of alarms) assert.equal(a.AlarmActions.length, 1);
    edge.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const dashboard = onlyResource(edge, 'AWS::CloudWatch::Dashboard') as { DashboardBody: unknown };
    const body = JSON.stringify(dashboard.DashboardBody);
    for (const m of ['5xxErrorRate', 'FunctionThrottles', 'FunctionComputeUtilization', 'BlockedRequests']) assert.ok(body.includes(m), m);
  });

  it('gives the public hosts alias records to the distribution and a DNS-validated certificate', () => {
    const { edge, config } = get();
    const hosts = hostNames(config);
    const records = resourcesOf(edge, 'AWS::Route53::RecordSet').map(([, p]) => `${p.Type as string} ${p.Name as string}`).sort();
    assert.deepEqual(records, [`A ${hosts.admin}.`, `A ${hosts.api}.`, `AAAA ${hosts.admin}.`, `AAAA ${hosts.api}.`]);
    edge.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: hosts.api, SubjectAlternativeNames: [hosts.admin], ValidationMethod: 'DNS' });
  });
}
