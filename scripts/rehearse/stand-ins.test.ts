/** The stand-ins' own rules: intrinsics, ALB and CloudFront pattern matching, replicated secrets, the mapping. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { albMatch } from './alb.js';
import { kmsWouldDecrypt } from './aws-endpoints.js';
import { pathMatches } from './cloudfront.js';
import { resolveValue } from './intrinsics.js';
import { MAPPING, mappingMarkdown } from './mapping.js';
import { SecretsStandIn } from './secrets.js';
import { localizeUrl } from './task-env.js';
import { readConfigCluster } from './template-model.js';

const ctx = {
  ref: (id: string) => (id === 'AWS::Partition' ? 'aws' : `ref-${id}`),
  getAtt: (id: string, a: string) => `${id}.${a}`,
  secret: (id: string, key: string | undefined) => `secret(${id},${key ?? ''})`,
};

it('resolves Ref, GetAtt, Join and dynamic references spanning joined parts', () => {
  assert.equal(resolveValue({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x']] }, ctx), 'arn:aws:x');
  assert.equal(resolveValue({ 'Fn::Join': ['', ['p:{{resolve:secretsmanager:', { Ref: 'S' }, ':SecretString:password::}}@', { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] }]] }, ctx), 'p:secret(ref-S,password)@Db.Endpoint.Address');
  assert.throws(() => resolveValue({ 'Fn::ImportValue': 'x' }, ctx), /unsupported/);
});

it('matches ALB and CloudFront patterns as AWS documents them', () => {
  assert.ok(albMatch('/admin/*', '/admin/keys', false));
  assert.ok(!albMatch('/admin/*', '/v1/admin', false));
  assert.ok(albMatch('API.example.com', 'api.example.com', true));
  assert.ok(pathMatches('/admin', '/admin') && !pathMatches('/admin', '/admin/keys') && pathMatches('*', '/v1/x'));
});

it('gives a named secret one value in every region (replication) and a JSON key its field', () => {
  const s = new SecretsStandIn();
  const tpl = (name?: string) => ({ Resources: { S: { Type: 'AWS::SecretsManager::Secret', Properties: { ...(name ? { Name: name } : {}), GenerateSecretString: { PasswordLength: 40, SecretStringTemplate: '{"user":"u"}', GenerateStringKey: 'pw' } } } } });
  s.addStack('us-east-1', tpl('skyway/dev/key-signing'), ctx);
  s.addStack('eu-west-1', tpl(), ctx);
  const a = s.resolve('eu-west-1', 'arn:aws:secretsmanager:eu-west-1:1:secret:skyway/dev/key-signing');
  const b = s.resolve('us-west-2', 'skyway/dev/key-signing');
  assert.equal(a, b);
  assert.equal(s.resolve('eu-west-1', 'arn:aws:secretsmanager:eu-west-1:1:secret:S:user::'), 'u');
  assert.equal(s.resolve('eu-west-1', 'S', 'pw').length, 40);
  assert.throws(() => s.resolve('eu-west-1', 'nope'), /not defined/);
});

it('maps endpoint placeholders to the local stores and drops only what the mapping says', () => {
  const local = { redisPorts: new Map([['Rg1', 7001]]), databases: new Map([['Db1', { port: 7002, name: 'rehearsal_x' }]]), kvsFile: '', s3: { endpoint: '', accessKeyId: '', secretAccessKey: '' }, awsEndpoint: '', region: 'eu-west-1' };
  assert.equal(localizeUrl('rediss://:tok@rg-Rg1.rehearsal:6380', local), 'redis://:tok@127.0.0.1:7001');
  assert.equal(localizeUrl('postgres://skyway:pw@db-Db1.rehearsal:5433/skyway?sslmode=no-verify', local), 'postgres://skyway:pw@127.0.0.1:7002/rehearsal_x');
  assert.ok(MAPPING.length >= 10 && mappingMarkdown().split('\n').length === MAPPING.length + 2);
});

it('maps the config store clusters: the local endpoint, and a secondary\'s write-forwarding URL to the primary', () => {
  const clusters = new Map([
    ['Sec1', { port: 7101, forwardingPort: 7100, database: 'skyway' }],
    ['Pri1', { port: 7100, forwardingPort: undefined, database: 'skyway' }],
  ]);
  const local = { redisPorts: new Map(), databases: new Map(), clusters, kvsFile: '', s3: { endpoint: '', accessKeyId: '', secretAccessKey: '' }, awsEndpoint: '', region: 'us-west-2' };
  const reader = 'postgres://skyway:pw@dbc-Sec1-reader.rehearsal:5433/skyway?sslmode=no-verify';
  assert.equal(localizeUrl(reader, local), 'postgres://skyway:pw@127.0.0.1:7101/skyway');
  assert.equal(localizeUrl(reader, local, true), 'postgres://skyway:pw@127.0.0.1:7100/skyway', 'write forwarding reaches the primary');
  assert.equal(localizeUrl('postgres://skyway:pw@dbc-Pri1-writer.rehearsal:5433/skyway', local, true), 'postgres://skyway:pw@127.0.0.1:7100/skyway');
  assert.throws(() => localizeUrl('postgres://u:p@dbc-Nope-reader.rehearsal:5433/skyway', local), /no config store stand-in/);
});

it('reads the config store cluster of a region from its template (primary: made into a global cluster; secondary: joins it)', () => {
  const primary = { Resources: {
    C: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'aurora-postgresql', EngineVersion: '16.6', Port: 5433, MasterUsername: 'skyway', MasterUserPassword: 'x' } },
    G: { Type: 'AWS::RDS::GlobalCluster', Properties: { GlobalClusterIdentifier: 'skyway-s-config', SourceDBClusterIdentifier: { Ref: 'C' } } },
    W: { Type: 'AWS::RDS::DBInstance', Properties: { DBClusterIdentifier: { Ref: 'C' } } },
  } };
  const secondary = { Resources: {
    C2: { Type: 'AWS::RDS::DBCluster', Properties: { GlobalClusterIdentifier: 'skyway-s-config', EnableGlobalWriteForwarding: true, Port: 5433, EngineVersion: '16.6' } },
    R1: { Type: 'AWS::RDS::DBInstance', Properties: { DBClusterIdentifier: { Ref: 'C2' } } },
    R2: { Type: 'AWS::RDS::DBInstance', Properties: { DBClusterIdentifier: { Ref: 'C2' } } },
  } };
  const p = readConfigCluster('eu-west-1', primary)!;
  assert.deepEqual([p.role, p.globalClusterIdentifier, p.instances, p.port, p.writeForwarding], ['primary', 'skyway-s-config', 1, 5433, false]);
  const s = readConfigCluster('us-west-2', secondary)!;
  assert.deepEqual([s.role, s.globalClusterIdentifier, s.instances, s.writeForwarding, s.masterUsername], ['secondary', 'skyway-s-config', 2, true, undefined]);
  assert.equal(readConfigCluster('eu-west-1', { Resources: {} }), undefined);
  assert.throws(() => readConfigCluster('x', { Resources: { C: { Type: 'AWS::RDS::DBCluster', Properties: {} } } }), /not part of a global database/);
});

it('infra/README.md carries the mapping table of mapping.ts', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../../test-support/paths.js');
  assert.ok(readFileSync(join(repoRoot(), 'infra/README.md'), 'utf8').includes(mappingMarkdown()), 'regenerate the table in infra/README.md from mapping.ts');
});

it('decrypts as KMS does: a key of the endpoint\'s region, or a replica of the same multi-Region key', () => {
  const eu = 'arn:aws:kms:eu-west-1:1:key/mrk-K';
  const us = 'arn:aws:kms:us-west-2:1:key/mrk-K';
  assert.ok(kmsWouldDecrypt(eu, us, 'us-west-2'));
  assert.ok(!kmsWouldDecrypt(eu, eu, 'us-west-2'), 'another region\'s key is not usable here');
  assert.ok(!kmsWouldDecrypt('arn:aws:kms:eu-west-1:1:key/K', 'arn:aws:kms:us-west-2:1:key/K', 'us-west-2'), 'single-Region keys do not replicate');
  assert.ok(kmsWouldDecrypt('arn:aws:kms:eu-west-1:1:key/K', 'arn:aws:kms:eu-west-1:1:key/K', 'eu-west-1'));
});
