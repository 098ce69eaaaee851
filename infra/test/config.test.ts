/** Environment data in cdk.json and cdk.context.json, and the synth-time guards of the constructs (no full synth). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EnvironmentConfigError, parseEnvironment } from '../lib/config/environment.js';
import { CLOUDFRONT_FUNCTION_MAX_BYTES, EdgeFunction } from '../lib/constructs/edge-function.js';
import { openNagFindings } from './nag-assertions.js';
import { ENVIRONMENTS, projectContext, STAND_IN_FUNCTION } from './synth.js';

const context = projectContext();
const environments = context['skyway:environments'];
const scratch = mkdtempSync(join(tmpdir(), 'skyway-infra-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('environments in cdk.json', () => {
  it('defines dev, staging and prod, all valid', () => {
    for (const name of ENVIRONMENTS) assert.equal(parseEnvironment(environments, name).name, name);
  });

  it('differs by data: prod is Multi-AZ, protected, NAT per AZ and retained; dev is the cheap throwaway', () => {
    const dev = parseEnvironment(environments, 'dev');
    const prod = parseEnvironment(environments, 'prod');
    assert.deepEqual([prod.database.multiAz, prod.database.deletionProtection, prod.retainData], [true, true, true]);
    assert.equal(prod.network.natGateways, prod.network.maxAzs);
    assert.deepEqual([dev.database.multiAz, dev.network.natGateways, dev.retainData], [false, 1, false]);
    for (const name of ENVIRONMENTS) {
      const c = parseEnvironment(environments, name);
      assert.deepEqual([c.api.minTasks, c.api.maxTasks, c.database.maxConnections, c.database.backupRetentionDays], [2, 10, 200, 7]);
    }
  });

  it('has cached availability zones for every account and region, so synth needs no AWS credentials', () => {
    for (const name of ENVIRONMENTS) {
      const c = parseEnvironment(environments, name);
      for (const region of [...c.regions.map((r) => r.region), 'us-east-1']) {
        const key = `availability-zones:account=${c.account}:region=${region}`;
        const azs = context[key] as string[] | undefined;
        assert.ok(Array.isArray(azs) && azs.length >= c.network.maxAzs, `${key} missing or too short`);
      }
    }
  });

  it('names every invalid field at once and rejects unknown environments', () => {
    assert.throws(() => parseEnvironment(environments, 'qa'), /unknown environment 'qa'.*dev, staging, prod/s);
    const broken = { x: { account: '12', regions: [], domain: { zoneName: 'a.b', hostedZoneId: 'nope' } } };
    assert.throws(
      () => parseEnvironment(broken, 'x'),
      (err: unknown) => err instanceof EnvironmentConfigError && /account/.test(err.message) && /regions/.test(err.message) && /hostedZoneId/.test(err.message),
    );
    const dev = (environments as Record<string, Record<string, unknown>>).dev!;
    const twice = { d: { ...dev, regions: [...(dev.regions as unknown[]), ...(dev.regions as unknown[])] } };
    assert.throws(() => parseEnvironment(twice, 'd'), /listed twice/);
  });

  it('asks for a config store exactly when an environment has several regions, on a class a global database runs on', () => {
    const envs = environments as Record<string, Record<string, unknown>>;
    const { configStore, ...stagingWithout } = envs.staging!;
    assert.ok(configStore, 'staging (two regions) has a config store');
    assert.ok(envs.prod!.configStore, 'prod (two regions) has a config store');
    assert.equal(envs.dev!.configStore, undefined, 'dev (one region) keeps plain RDS');
    assert.throws(() => parseEnvironment({ s: stagingWithout }, 's'), /2 regions need a configStore/);
    assert.throws(() => parseEnvironment({ d: { ...envs.dev!, configStore } }, 'd'), /configStore is for multi-region/);
    const burstable = { ...(configStore as Record<string, unknown>), instanceType: 't4g.medium' };
    assert.throws(() => parseEnvironment({ s: { ...stagingWithout, configStore: burstable } }, 's'), /memory-optimized/);
  });
});

describe('edge function artifact', () => {
  it('tells you to run `npm run build` when the artifact is missing', () => {
    const stack = new Stack(new App(), 'Missing', { env: { region: 'us-east-1' } });
    assert.throws(() => new EdgeFunction(stack, 'Fn', { codeFile: join(scratch, 'nope.js') }), /missing: run `npm run build`/);
  });

  it('refuses an artifact over the 10 KB CloudFront Functions limit', () => {
    const big = join(scratch, 'big.js');
    writeFileSync(big, STAND_IN_FUNCTION + '//' + 'x'.repeat(CLOUDFRONT_FUNCTION_MAX_BYTES));
    const stack = new Stack(new App(), 'Big', { env: { region: 'us-east-1' } });
    assert.throws(() => new EdgeFunction(stack, 'Fn', { codeFile: big }), /at most 10240/);
  });
});

describe('cdk-nag check', () => {
  it('reports an unacknowledged finding (the check can fail) and honours a justified acknowledgement', () => {
    const app = new App();
    const stack = new Stack(app, 'Nag');
    const bucket = new s3.Bucket(stack, 'Plain');
    assert.ok(openNagFindings(app).some((f) => f.startsWith('AwsSolutions-S1 ')), 'unlogged bucket is reported');
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'test: acknowledged with a reason' });
    assert.ok(!openNagFindings(app).some((f) => f.startsWith('AwsSolutions-S1 ')));
  });
});
