/**
 * The config store per environment (registered by stacks.test.ts): a multi-region environment has an Aurora
 * PostgreSQL Global Database — the global cluster and the primary cluster in the first region, a secondary cluster
 * with write forwarding and no credentials in every other region — and every api and admin task gets
 * CONFIG_DATABASE_URL and SKYWAY_LEDGER_DATABASE_URL pointing at its region's endpoints; a single-region
 * environment has none of it (its RDS instance is the config store).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { configStoreNames } from '../lib/config/environment.js';
import { CONFIG_STORE_ENGINE_VERSION } from '../lib/constructs/config-store.js';
import { onlyResource, resourcesOf, type SynthesizedEnvironment } from './synth.js';

type Props = Record<string, any>;
const STORE_VARS = ['CONFIG_DATABASE_URL', 'SKYWAY_LEDGER_DATABASE_URL'] as const;

/** Per role, the secret each store variable references, as the secret's SecretString (a Fn::Join) in JSON. */
function storeUrls(t: Template): Map<string, Record<string, string>> {
  const secrets = t.toJSON().Resources as Record<string, { Type: string; Properties: Props }>;
  const out = new Map<string, Record<string, string>>();
  for (const [, def] of resourcesOf(t, 'AWS::ECS::TaskDefinition')) {
    const c = (def.ContainerDefinitions as Props[])[0]!;
    const role = (c.Environment as Array<{ Name: string; Value: string }>).find((e) => e.Name === 'SKYWAY_ROLE')!.Value;
    const urls: Record<string, string> = {};
    for (const s of (c.Secrets as Array<{ Name: string; ValueFrom: { Ref?: string } }>).filter((x) => (STORE_VARS as readonly string[]).includes(x.Name))) {
      assert.ok(s.ValueFrom.Ref, `${s.Name} references a secret of this stack`);
      urls[s.Name] = JSON.stringify(secrets[s.ValueFrom.Ref!]!.Properties.SecretString);
    }
    out.set(role, urls);
  }
  return out;
}

function clusterIdOf(t: Template, props: Props): string {
  const found = Object.keys(t.findResources('AWS::RDS::DBCluster', { Properties: props }));
  assert.equal(found.length, 1, `one DBCluster matching ${JSON.stringify(props)}`);
  return found[0]!;
}

export function configStoreTests(get: () => SynthesizedEnvironment): void {
  it('multi-region: a global cluster made from the primary cluster in the first region, a write-forwarding secondary without credentials elsewhere', () => {
    const { config, regions, stacks } = get();
    if (config.regions.length === 1) return;
    const store = config.configStore!;
    const names = configStoreNames(config);
    const [first, ...others] = config.regions.map((r) => r.region);
    const primary = regions.get(first!)!;
    const primaryId = clusterIdOf(primary, { Engine: 'aurora-postgresql' });
    const global = onlyResource(primary, 'AWS::RDS::GlobalCluster');
    assert.deepEqual(global.SourceDBClusterIdentifier, { Ref: primaryId });
    assert.equal(global.GlobalClusterIdentifier, names.globalClusterIdentifier);
    assert.equal(global.DeletionProtection, store.deletionProtection);
    const p = onlyResource(primary, 'AWS::RDS::DBCluster');
    assert.equal(p.EngineVersion, CONFIG_STORE_ENGINE_VERSION.auroraPostgresFullVersion);
    assert.ok(Number(p.EngineVersion.split('.')[0]) >= 16 || Number(p.EngineVersion) >= 15.4, 'a version with global write forwarding');
    assert.equal(p.StorageEncrypted, true);
    assert.equal(p.MasterUsername, 'skyway');
    assert.equal(p.DeletionProtection, store.deletionProtection);
    assert.equal(p.BackupRetentionPeriod, store.backupRetentionDays);
    const credentials = onlyResource(primary, 'AWS::SecretsManager::Secret', { Name: names.credentialsSecretName });
    assert.deepEqual(credentials.ReplicaRegions, others.map((Region) => ({ Region })), 'credentials replicated to every secondary region');
    const primaryInstances = resourcesOf(primary, 'AWS::RDS::DBInstance').filter(([, i]) => JSON.stringify(i.DBClusterIdentifier) === JSON.stringify({ Ref: primaryId }));
    assert.equal(primaryInstances.length, store.instances);
    for (const [, i] of primaryInstances) assert.equal(i.DBInstanceClass, `db.${store.instanceType}`);
    for (const region of others) {
      const t = regions.get(region)!;
      t.resourceCountIs('AWS::RDS::GlobalCluster', 0);
      const s = onlyResource(t, 'AWS::RDS::DBCluster');
      assert.equal(s.GlobalClusterIdentifier, names.globalClusterIdentifier);
      assert.equal(s.EnableGlobalWriteForwarding, true, 'the spend ledger is written from every region');
      assert.equal(s.EngineVersion, p.EngineVersion);
      assert.equal(s.StorageEncrypted, true);
      assert.ok(s.KmsKeyId, 'encrypted with a key of its own region');
      for (const absent of ['MasterUsername', 'MasterUserPassword', 'ManageMasterUserPassword', 'DatabaseName', 'SnapshotIdentifier']) assert.equal(s[absent], undefined, `secondary sets no ${absent}`);
      const id = clusterIdOf(t, { GlobalClusterIdentifier: names.globalClusterIdentifier });
      const readers = resourcesOf(t, 'AWS::RDS::DBInstance').filter(([, i]) => JSON.stringify(i.DBClusterIdentifier) === JSON.stringify({ Ref: id }));
      assert.equal(readers.length, store.instances);
      const stack = stacks.regions.find((x) => x.region === region)!;
      assert.ok(stack.dependencies.some((d) => d.region === first), `${region} deploys after the primary region`);
      // The cluster admits the gateway tasks only, on its port.
      const sg = JSON.stringify(s.VpcSecurityGroupIds[0]);
      const sgIngress = resourcesOf(t, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.FromPort === s.Port && JSON.stringify(r.GroupId) === sg);
      assert.equal(sgIngress.length, 2, 'api and admin security groups');
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AuroraGlobalDBReplicationLag', Namespace: 'AWS/RDS' });
    }
  });

  it('multi-region: provider credentials sealed in any region open in every region (a multi-Region key, replicated)', () => {
    const { config, regions } = get();
    if (config.regions.length === 1) return;
    const [first, ...others] = config.regions.map((r) => r.region);
    const isCredentials = ([, p]: [string, Props]) => String(p.Description).includes('provider credentials');
    const primaryKey = resourcesOf(regions.get(first!)!, 'AWS::KMS::Key').filter(isCredentials);
    assert.equal(primaryKey.length, 1);
    assert.equal(primaryKey[0]![1].MultiRegion, true);
    for (const region of others) {
      const t = regions.get(region)!;
      assert.equal(resourcesOf(t, 'AWS::KMS::Key').filter(isCredentials).length, 0);
      const replica = onlyResource(t, 'AWS::KMS::ReplicaKey');
      assert.ok(JSON.stringify(replica.PrimaryKeyArn).includes('Fn::GetAtt'), 'the primary key ARN, by cross-region reference');
    }
  });

  it('multi-region: api and admin tasks read the config store at their region\'s endpoint (writer in the primary, reader elsewhere) and the ledger through the primary', () => {
    const { config, regions } = get();
    if (config.regions.length === 1) return;
    const names = configStoreNames(config);
    config.regions.forEach(({ region }, index) => {
      const t = regions.get(region)!;
      const cluster = onlyResource(t, 'AWS::RDS::DBCluster');
      const clusterId = Object.keys(t.findResources('AWS::RDS::DBCluster'))[0]!;
      const urls = storeUrls(t);
      assert.deepEqual([...urls.keys()].sort(), ['admin', 'api']);
      for (const [role, u] of urls) {
        assert.deepEqual(Object.keys(u).sort(), [...STORE_VARS], `${region} ${role}`);
        const endpoint = (attr: string) => JSON.stringify({ 'Fn::GetAtt': [clusterId, attr] });
        const expected = index === 0 ? endpoint('Endpoint.Address') : endpoint('ReadEndpoint.Address');
        for (const v of STORE_VARS) {
          assert.ok(u[v]!.includes(expected), `${region} ${role} ${v} → ${expected}: ${u[v]}`);
          assert.ok(u[v]!.includes(`:${cluster.Port}/skyway`), `${v} uses the cluster port`);
          assert.ok(u[v]!.includes('{{resolve:secretsmanager:'), 'password by dynamic reference, never in the template');
          if (index > 0) assert.ok(u[v]!.includes(`{{resolve:secretsmanager:${names.credentialsSecretName}:SecretString:password::}}`), 'secondary: the replicated credentials by name');
        }
      }
    });
  });

  it('single region: plain RDS only, no Aurora cluster and no config-store variables', () => {
    const { config, regions } = get();
    if (config.regions.length > 1) return;
    for (const t of regions.values()) {
      t.resourceCountIs('AWS::RDS::DBCluster', 0);
      t.resourceCountIs('AWS::RDS::GlobalCluster', 0);
      onlyResource(t, 'AWS::RDS::DBInstance', { Engine: 'postgres' });
      for (const [role, u] of storeUrls(t)) assert.deepEqual(u, {}, `${role} gets neither CONFIG_DATABASE_URL nor SKYWAY_LEDGER_DATABASE_URL`);
    }
  });
}

/** Per role, the plain environment of the role's container. */
function plainEnv(t: Template): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const [, def] of resourcesOf(t, 'AWS::ECS::TaskDefinition')) {
    const env = ((def.ContainerDefinitions as Props[])[0]!.Environment as Array<{ Name: string; Value: string }>).reduce<Record<string, string>>((a, e) => ((a[e.Name] = e.Value), a), {});
    out.set(env.SKYWAY_ROLE!, env);
  }
  return out;
}

export function globalLimitTests(get: () => SynthesizedEnvironment): void {
  it('every region enforces its share of each RPM/TPM limit, and the admin role counts sign-ins by the viewer behind CloudFront and the ALB', () => {
    const { config, regions } = get();
    for (const [region, t] of regions) {
      const env = plainEnv(t);
      const api = env.get('api')!;
      if (config.regions.length > 1) assert.equal(api.SKYWAY_RATE_LIMIT_REGIONS, String(config.regions.length), `${region} api shares limits over ${config.regions.length} regions`);
      else assert.equal(api.SKYWAY_RATE_LIMIT_REGIONS, undefined, 'one region: the whole limit');
      assert.equal(env.get('admin')!.SKYWAY_ADMIN_PROXY_HOPS, '2', `${region} admin: two proxies append to X-Forwarded-For`);
    }
  });
}
