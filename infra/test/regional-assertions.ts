/** Assertions on every regional stack of one synthesized environment (registered by stacks.test.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { it } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { globalSecretNames, originHostName } from '../lib/config/environment.js';
import { ADMIN_PORT, API_PORT, KVS_PUBLISHER_ACTIONS, PROVIDER_SECRETS_PREFIX } from '../lib/constructs/skyway-region.js';
import { repoRoot } from '../../test-support/paths.js';
import { contractProblems } from '../lib/constructs/contract-env.js';
import { onlyResource, resourcesOf, type SynthesizedEnvironment } from './synth.js';

type Props = Record<string, any>;

function eachRegion(get: () => SynthesizedEnvironment, check: (t: Template, region: string, env: SynthesizedEnvironment) => void): () => void {
  return () => {
    const env = get();
    assert.equal(env.regions.size, env.config.regions.length);
    for (const [region, template] of env.regions) check(template, region, env);
  };
}

function containers(t: Template): Props[] {
  return resourcesOf(t, 'AWS::ECS::TaskDefinition').map(([, p]) => (p.ContainerDefinitions as Props[])[0]!);
}

function roleOf(c: Props): string {
  return (c.Environment as Array<{ Name: string; Value: string }>).find((e) => e.Name === 'SKYWAY_ROLE')!.Value;
}

export function regionalTests(get: () => SynthesizedEnvironment): void {
  it('builds a VPC with public, private and isolated subnets over the configured AZs, NAT per config, endpoints and flow logs', eachRegion(get, (t, region, { config }) => {
    const azs = config.network.maxAzs;
    const rc = config.regions.find((r) => r.region === region)!;
    onlyResource(t, 'AWS::EC2::VPC', { CidrBlock: rc.cidr });
    t.resourceCountIs('AWS::EC2::Subnet', 3 * azs);
    t.resourceCountIs('AWS::EC2::NatGateway', Math.min(config.network.natGateways, azs));
    const endpoints = resourcesOf(t, 'AWS::EC2::VPCEndpoint').map(([, p]) => JSON.stringify(p.ServiceName));
    for (const svc of ['.s3', '.secretsmanager', '.ecr.api', '.ecr.dkr', '.logs']) assert.ok(endpoints.some((e) => e.includes(svc)), svc);
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
  }));

  it('lets only CloudFront reach the ALB: origin-facing prefix list on 443, 403 by default, forwarding only with the verification header', eachRegion(get, (t, region, { config }) => {
    const rc = config.regions.find((r) => r.region === region)!;
    const albSgId = Object.keys(t.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('Skyway ALB') } }));
    assert.equal(albSgId.length, 1);
    const ingress = resourcesOf(t, 'AWS::EC2::SecurityGroupIngress')
      .map(([, p]) => p)
      .filter((p) => JSON.stringify(p.GroupId).includes(albSgId[0]!));
    // The only way in: HTTPS from the CloudFront origin-facing prefix list (no CIDR, no other group).
    assert.deepEqual(
      ingress.map((p) => [p.SourcePrefixListId, p.FromPort, p.ToPort, p.CidrIp, p.SourceSecurityGroupId]),
      [[rc.cloudFrontPrefixListId, 443, 443, undefined, undefined]],
    );
    const lbProps = onlyResource(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.equal(lbProps.Scheme, 'internet-facing');
    const lb = onlyResource(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const attrs = Object.fromEntries((lb.LoadBalancerAttributes as Array<{ Key: string; Value: string }>).map((a) => [a.Key, a.Value]));
    assert.ok(Number(attrs['idle_timeout.timeout_seconds']) > 60, 'idle timeout above CloudFront read and keep-alive timeouts');
    assert.equal(attrs['access_logs.s3.enabled'], 'true');
    assert.equal(attrs['routing.http.drop_invalid_header_fields.enabled'], 'true');
    const listener = onlyResource(t, 'AWS::ElasticLoadBalancingV2::Listener');
    assert.equal(listener.Protocol, 'HTTPS');
    assert.equal(listener.Port, 443);
    assert.equal(listener.DefaultActions[0].FixedResponseConfig.StatusCode, '403');
    const rules = resourcesOf(t, 'AWS::ElasticLoadBalancingV2::ListenerRule').map(([, p]) => p);
    assert.equal(rules.length, 2);
    const secretRef = `{{resolve:secretsmanager:${globalSecretNames(config).originVerify}:SecretString:::}}`;
    for (const rule of rules) {
      const header = (rule.Conditions as Props[]).find((c) => c.Field === 'http-header')!;
      assert.deepEqual(header.HttpHeaderConfig, { HttpHeaderName: 'x-skyway-origin-verify', Values: [secretRef] });
    }
    const admin = rules.find((r) => (r.Conditions as Props[]).some((c) => c.Field === 'path-pattern'))!;
    assert.deepEqual(admin.Conditions.find((c: Props) => c.Field === 'path-pattern').PathPatternConfig.Values, ['/admin', '/admin/*', '/console', '/console/*']);
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: `${originHostName(config, region)}.`, Type: 'A' });
    t.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: originHostName(config, region), ValidationMethod: 'DNS' });
  }));

  it('runs api and admin from the same Dockerfile-built image, with secrets, health check and a stop timeout above the drain', eachRegion(get, (t, region, { config, stacks, outdir }) => {
    onlyResource(t, 'AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
    const defs = containers(t);
    assert.deepEqual(defs.map(roleOf).sort(), ['admin', 'api']);
    assert.equal(new Set(defs.map((c) => JSON.stringify(c.Image))).size, 1, 'one image for both roles');
    const names = globalSecretNames(config);
    for (const c of defs) {
      const env = Object.fromEntries((c.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]));
      assert.equal(env.PORT, String(API_PORT));
      assert.equal(env.ADMIN_PORT, String(ADMIN_PORT));
      assert.equal(env.HOST, '0.0.0.0');
      assert.equal(env.SKYWAY_DRAIN_TIMEOUT_MS, String(config.drainSeconds * 1000));
      assert.ok(env.SKYWAY_S3_BUCKET && env.LOG_LEVEL);
      assert.ok(c.StopTimeout > config.drainSeconds && c.StopTimeout <= 120, 'stop timeout exceeds the drain, within Fargate limits');
      const secrets = (c.Secrets as Array<{ Name: string; ValueFrom: unknown }>).map((s) => s.Name).sort();
      assert.deepEqual(secrets, [
        'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', ...(config.configStore ? ['CONFIG_DATABASE_URL'] : []), 'DATABASE_URL', 'REDIS_URL',
        ...(roleOf(c) === 'api' ? ['SKYWAY_CACHE_REDIS_URL'] : []),
        'SKYWAY_KEY_SIGNING_SECRETS', ...(config.configStore ? ['SKYWAY_LEDGER_DATABASE_URL'] : []), 'SKYWAY_MASTER_KEY', 'SKYWAY_ORIGIN_VERIFY_SECRET',
      ]);
      const ov = (c.Secrets as Array<{ Name: string; ValueFrom: unknown }>).find((s) => s.Name === 'SKYWAY_ORIGIN_VERIFY_SECRET')!;
      assert.ok(JSON.stringify(ov.ValueFrom).includes(`:secret:${names.originVerify}`));
      // One signing secret for every task of every region (the replica of the edge stack's secret), never per task.
      const signing = (c.Secrets as Array<{ Name: string; ValueFrom: unknown }>).find((s) => s.Name === 'SKYWAY_KEY_SIGNING_SECRETS')!;
      assert.ok(JSON.stringify(signing.ValueFrom).includes(`:secret:${names.keySigning}"`), JSON.stringify(signing.ValueFrom));
      assert.deepEqual(contractProblems(roleOf(c) as 'api' | 'admin', Object.keys(env), secrets), [], 'the task definition follows shared/contract');
      if (roleOf(c) === 'api') assert.equal(env.SKYWAY_REPLICAS, String(config.api.maxTasks), 'local fallback limits divide by the scaling maximum');
      const port = roleOf(c) === 'api' ? API_PORT : ADMIN_PORT;
      assert.ok((c.HealthCheck.Command as string[])[1]!.includes(`127.0.0.1:${port}/health/liveliness`));
      assert.equal(c.PortMappings[0].ContainerPort, port);
      assert.equal(c.LogConfiguration.LogDriver, 'awslogs');
    }
    // The image is one asset, built from the repository root with its Dockerfile, and both task definitions use it.
    const stack = stacks.regions.find((s) => s.region === region)!;
    const manifest = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.entries(manifest.dockerImages);
    assert.equal(images.length, 1);
    const [hash, image] = images[0]!;
    assert.equal(image.source.dockerFile, 'Dockerfile');
    assert.equal(image.source.platform, 'linux/amd64');
    assert.equal(resolve(outdir, image.source.directory), repoRoot());
    for (const c of defs) assert.ok(JSON.stringify(c.Image).endsWith(`:${hash}"}`), 'task uses the asset image');
  }));

  it('deploys services with circuit breaker and readiness-checked target groups, and scales api on CPU steps and request count', eachRegion(get, (t, _region, { config }) => {
    const services = resourcesOf(t, 'AWS::ECS::Service').map(([, p]) => p);
    assert.equal(services.length, 2);
    for (const s of services) {
      assert.deepEqual(s.DeploymentConfiguration.DeploymentCircuitBreaker, { Enable: true, Rollback: true });
      assert.equal(s.LaunchType, 'FARGATE');
      assert.equal(s.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
    }
    for (const [, tg] of resourcesOf(t, 'AWS::ElasticLoadBalancingV2::TargetGroup')) {
      assert.equal(tg.HealthCheckPath, '/health/readiness');
      assert.equal(tg.TargetType, 'ip');
    }
    onlyResource(t, 'AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: config.api.minTasks, MaxCapacity: config.api.maxTasks });
    const policies = resourcesOf(t, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p);
    const tracking = policies.find((p) => p.PolicyType === 'TargetTrackingScaling')!;
    assert.equal(tracking.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType, 'ALBRequestCountPerTarget');
    assert.equal(tracking.TargetTrackingScalingPolicyConfiguration.TargetValue, config.api.requestsPerTarget);
    const cpuAlarms = resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([, p]) => p).filter((a) => a.MetricName === 'CPUUtilization' && a.Namespace === 'AWS/ECS');
    assert.deepEqual(cpuAlarms.map((a) => a.Threshold).sort(), [30, 70]);
  }));

  it('runs Postgres encrypted with KMS, with 7-day backups, Multi-AZ and deletion protection per environment, and the reference parameters', eachRegion(get, (t, _region, { config }) => {
    const db = onlyResource(t, 'AWS::RDS::DBInstance', { Engine: 'postgres' });
    assert.equal(db.Engine, 'postgres');
    assert.equal(db.StorageEncrypted, true);
    assert.ok(db.KmsKeyId);
    assert.equal(db.BackupRetentionPeriod, 7);
    assert.equal(db.MultiAZ, config.database.multiAz);
    assert.equal(db.DeletionProtection, config.database.deletionProtection);
    assert.equal(db.DBInstanceClass, `db.${config.database.instanceType}`);
    assert.equal(db.PubliclyAccessible, false);
    const params = onlyResource(t, 'AWS::RDS::DBParameterGroup').Parameters as Record<string, string>;
    assert.equal(params.max_connections, String(config.database.maxConnections));
    assert.ok(params.shared_buffers && params.effective_cache_size && params.work_mem);
    assert.equal(params['rds.force_ssl'], '1');
  }));

  it('runs Valkey with TLS, encryption at rest and an AUTH token from Secrets Manager', eachRegion(get, (t, _region, { config }) => {
    const rg = onlyResource(t, 'AWS::ElastiCache::ReplicationGroup', { ReplicationGroupDescription: 'Skyway limits, budgets and key cache' });
    assert.equal(rg.Engine, 'valkey');
    assert.equal(rg.TransitEncryptionEnabled, true);
    assert.equal(rg.AtRestEncryptionEnabled, true);
    assert.ok(JSON.stringify(rg.AuthToken).includes('{{resolve:secretsmanager:'));
    assert.equal(rg.NumCacheClusters, 1 + config.cache.replicas);
    assert.equal(rg.MultiAZEnabled, config.cache.replicas > 0);
  }));

  it('keeps the archive bucket KMS-encrypted, versioned, TLS-only, private and aged to IA, Glacier and expiry', eachRegion(get, (t, _region, { config }) => {
    const bucket = onlyResource(t, 'AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
    assert.equal(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, 'aws:kms');
    assert.deepEqual(bucket.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    const rule = bucket.LifecycleConfiguration.Rules[0];
    assert.deepEqual(rule.Transitions, [
      { StorageClass: 'STANDARD_IA', TransitionInDays: config.archive.infrequentAccessAfterDays },
      { StorageClass: 'GLACIER', TransitionInDays: config.archive.glacierAfterDays },
    ]);
    assert.equal(rule.ExpirationInDays, config.archive.expireAfterDays);
    const policies = resourcesOf(t, 'AWS::S3::BucketPolicy').map(([, p]) => JSON.stringify(p));
    assert.ok(policies.some((p) => p.includes('"aws:SecureTransport":"false"') && p.includes('ArchiveBucket')));
  }));

  it('keeps the ClickHouse connection in a secret and log groups with the configured retention', eachRegion(get, (t, _region, { config }) => {
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password', SecretStringTemplate: Match.stringLikeRegexp('clickhouse') }),
    });
    const groups = resourcesOf(t, 'AWS::Logs::LogGroup').map(([, p]) => p.RetentionInDays);
    assert.ok(groups.length >= 3);
    for (const days of groups) assert.equal(days, config.logRetentionDays);
  }));

  it('seals provider credentials with a rotating KMS key: admin encrypts, api decrypts and reads only provider secrets', eachRegion(get, (t, _region, { config }) => {
    const keys = resourcesOf(t, 'AWS::KMS::Key').filter(([, p]) => String(p.Description).includes('provider credentials'));
    assert.equal(keys.length, 1);
    assert.equal(keys[0]![1].EnableKeyRotation, true);
    const keyId = keys[0]![0];
    for (const c of containers(t)) {
      const env = c.Environment as Array<{ Name: string; Value: unknown }>;
      assert.deepEqual(env.find((e) => e.Name === 'SKYWAY_KMS_KEY_ID')?.Value, { 'Fn::GetAtt': [keyId, 'Arn'] }, roleOf(c));
    }
    const statements = resourcesOf(t, 'AWS::IAM::Policy').map(([, p]) => p.PolicyDocument.Statement as Props[]).flat();
    const onKey = statements.filter((s) => JSON.stringify(s.Resource).includes(keyId));
    const actions = onKey.flatMap((s) => [s.Action].flat() as string[]);
    assert.ok(actions.includes('kms:GenerateDataKey') && actions.includes('kms:Decrypt'), JSON.stringify(onKey));
    const sm = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes(PROVIDER_SECRETS_PREFIX(config.name)));
    assert.equal(sm.length, 1);
  }));

  it('grants the admin role exactly the KVS actions on the edge store', eachRegion(get, (t) => {
    const policies = resourcesOf(t, 'AWS::IAM::Policy').map(([, p]) => p.PolicyDocument.Statement as Props[]).flat();
    const kvs = policies.filter((s) => JSON.stringify(s.Action).includes('cloudfront-keyvaluestore'));
    assert.equal(kvs.length, 1);
    assert.deepEqual([...kvs[0]!.Action].sort(), [...KVS_PUBLISHER_ACTIONS].sort());
    assert.notEqual(kvs[0]!.Resource, '*');
  }));

  it('alarms to SNS on 5xx > 1 %, p95 > 500 ms, healthy targets < 2, DB CPU > 80 %, DB connections > 180, stopped tasks', eachRegion(get, (t) => {
    const alarms = resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([, p]) => p).filter((a) => a.AlarmActions?.length);
    const find = (pred: (a: Props) => boolean, what: string): Props => {
      const a = alarms.find(pred);
      assert.ok(a, what);
      return a;
    };
    const rate = find((a) => JSON.stringify(a.Metrics ?? '').includes('HTTPCode_Target_5XX_Count'), '5xx rate');
    assert.deepEqual([rate.Threshold, rate.ComparisonOperator], [1, 'GreaterThanThreshold']);
    const p95 = find((a) => a.MetricName === 'TargetResponseTime', 'p95');
    assert.deepEqual([p95.ExtendedStatistic, p95.Threshold], ['p95', 0.5]);
    const healthy = find((a) => a.MetricName === 'HealthyHostCount', 'healthy hosts');
    assert.deepEqual([healthy.Threshold, healthy.ComparisonOperator], [2, 'LessThanThreshold']);
    assert.equal(find((a) => a.MetricName === 'CPUUtilization' && a.Namespace === 'AWS/RDS', 'db cpu').Threshold, 80);
    assert.equal(find((a) => a.MetricName === 'DatabaseConnections', 'db connections').Threshold, 180);
    find((a) => a.MetricName === 'TriggeredRules', 'task stopped');
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['ECS Task State Change'], detail: Match.objectLike({ lastStatus: ['STOPPED'] }) }),
    });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  }));

  it('keeps limit and budget state in a noeviction Valkey and the response cache in its own evicting group', eachRegion(get, (t, _region, { config }) => {
    const groups = resourcesOf(t, 'AWS::ElastiCache::ReplicationGroup');
    assert.equal(groups.length, 2, 'state and response cache are separate replication groups');
    const params = new Map(resourcesOf(t, 'AWS::ElastiCache::ParameterGroup'));
    const policies = groups.map(([, g]) => {
      const pg = params.get((g.CacheParameterGroupName as { Ref: string }).Ref)!;
      assert.equal(pg.CacheParameterGroupFamily, `valkey${String(g.EngineVersion).split('.')[0]}`);
      return [g.ReplicationGroupDescription, pg.Properties['maxmemory-policy']];
    });
    assert.deepEqual(policies.sort(), [['Skyway limits, budgets and key cache', 'noeviction'], ['Skyway response cache', 'allkeys-lru']]);
    const responseGroup = groups.find(([, g]) => g.ReplicationGroupDescription === 'Skyway response cache')![1];
    assert.equal(responseGroup.CacheNodeType, config.responseCache.nodeType);
  }));
}
