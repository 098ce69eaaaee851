/** The stand-ins' own rules: intrinsics, ALB and CloudFront pattern matching, replicated secrets, the mapping. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { albMatch } from './alb.js';
import { pathMatches } from './cloudfront.js';
import { resolveValue } from './intrinsics.js';
import { MAPPING, mappingMarkdown } from './mapping.js';
import { SecretsStandIn } from './secrets.js';
import { localizeUrl } from './task-env.js';

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

it('infra/README.md carries the mapping table of mapping.ts', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../../test-support/paths.js');
  assert.ok(readFileSync(join(repoRoot(), 'infra/README.md'), 'utf8').includes(mappingMarkdown()), 'regenerate the table in infra/README.md from mapping.ts');
});
