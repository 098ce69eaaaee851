/**
 * Multi-region wiring in the synthesized staging environment (two regions) with `regionChoice: health`: every
 * regional origin has the explicit id that its admin role publishes in the region's health row, the api service is
 * reachable from the admin tasks by private DNS for the readiness probe, and the edge settings come from cdk.json.
 * cdk.json deploys staging and prod with `health`; with `first-region` no region publishes a health row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { PORTS } from '../../shared/contract/ports.js';
import { originId } from '../lib/config/environment.js';
import { removeSynthesized, synthEnvironment, type SynthesizedEnvironment } from './synth.js';

type Env = Array<{ Name: string; Value: unknown }>;

function roleEnvironment(t: Template, role: 'api' | 'admin'): Record<string, unknown> {
  for (const def of Object.values(t.findResources('AWS::ECS::TaskDefinition'))) {
    const env = ((def.Properties as { ContainerDefinitions: Array<{ Environment?: Env }> }).ContainerDefinitions[0]!.Environment ?? []) as Env;
    const map = Object.fromEntries(env.map((e) => [e.Name, e.Value]));
    if (map['SKYWAY_ROLE'] === role) return map;
  }
  throw new Error(`no ${role} task definition`);
}

describe('multi-region wiring (staging)', () => {
  let env: SynthesizedEnvironment;
  before(() => {
    env = synthEnvironment('staging');
    assert.equal(env.config.regionChoice, 'health', 'cdk.json: staging chooses regions by health (global config store)');
  });
  after(() => removeSynthesized(env));

  it('the distribution has an explicit origin id per region, and each region publishes that id', () => {
    const dist = Object.values(env.edge.findResources('AWS::CloudFront::Distribution'))[0]!;
    const ids = ((dist.Properties as { DistributionConfig: { Origins: Array<{ Id: string }> } }).DistributionConfig.Origins).map((o) => o.Id).sort();
    assert.deepEqual(ids, env.config.regions.map((r) => originId(r.region)).sort());
    assert.equal(env.config.regions.length, 2);
    for (const r of env.config.regions) {
      const admin = roleEnvironment(env.regions.get(r.region)!, 'admin');
      assert.equal(admin['SKYWAY_REGION'], r.region);
      assert.equal(admin['SKYWAY_REGION_ORIGIN_ID'], originId(r.region));
      assert.equal(admin['SKYWAY_REGION_WEIGHT'], String(r.weight));
      assert.equal(admin['SKYWAY_REGION_NEAR'], r.near.join(','));
      assert.ok(r.near.length > 0, `${r.region} lists its nearby viewer countries in cdk.json`);
      assert.equal(roleEnvironment(env.regions.get(r.region)!, 'api')['SKYWAY_REGION_HEALTH_URL'], undefined, 'only the admin role publishes');
    }
  });

  it('the admin role probes the api service by private DNS, through a security-group rule on the api port', () => {
    for (const r of env.config.regions) {
      const t = env.regions.get(r.region)!;
      const ns = `${env.config.name}.skyway.internal`;
      t.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: ns });
      t.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'api', DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }) });
      assert.equal(roleEnvironment(t, 'admin')['SKYWAY_REGION_HEALTH_URL'], `http://api.${ns}:${PORTS.api}`);
      t.hasResourceProperties('AWS::ECS::Service', { ServiceRegistries: Match.arrayWith([Match.objectLike({ RegistryArn: Match.anyValue() })]) });
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: PORTS.api, ToPort: PORTS.api, Description: 'admin role: region health probe' });
    }
  });
});

describe('multi-region wiring with regionChoice first-region', () => {
  let env: SynthesizedEnvironment;
  before(() => {
    env = synthEnvironment('staging', { regionChoice: 'first-region' });
  });
  after(() => removeSynthesized(env));

  it('no region publishes a health row', () => {
    assert.equal(env.config.regionChoice, 'first-region');
    for (const r of env.config.regions) {
      const t = env.regions.get(r.region)!;
      assert.equal(roleEnvironment(t, 'admin')['SKYWAY_REGION_HEALTH_URL'], undefined);
      t.resourceCountIs('AWS::ServiceDiscovery::PrivateDnsNamespace', 0);
    }
  });
});
