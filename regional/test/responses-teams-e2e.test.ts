/**
 * Stored responses belong to the key's team, end to end: a gateway with Postgres and virtual keys; two keys of
 * team A share their responses (retrieve, continue with previous_response_id), a key of team B sees none of
 * them — not even that they exist (404, as for an unknown id) — and cannot delete them. The row is in
 * Postgres, owned by team A.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import pg from 'pg';
import { startMockUpstream } from '../../loadtest/mock/server.js';
import { adminOk, signingSecretsEnv, waitForAdmin, type CreatedKey } from '../../test-support/e2e-admin.js';
import { mockConfig, startGatewayProcess } from '../../test-support/gateway.js';
import { postgres } from '../../test-support/services.js';

test('a key reads and continues only its own team\'s responses', { timeout: 30_000 }, async (t) => {
  const pgh = await postgres(t);
  if (!pgh) return;
  t.after(() => pgh.close());
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const gw = await startGatewayProcess({
    config: mockConfig(mock.url),
    env: { SKYWAY_ROLE: 'all', DATABASE_URL: pgh.url, REDIS_URL: '', SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(), SKYWAY_EDGE_KVS_ARN: '', SKYWAY_EDGE_KVS_FILE: '', SKYWAY_ORIGIN_VERIFY_SECRET: '' },
  });
  t.after(() => gw.stop());
  await waitForAdmin(gw);

  const teamA = await adminOk<{ id: string }>(gw, 'POST', '/admin/teams', { name: 'team-a' }, 201);
  const teamB = await adminOk<{ id: string }>(gw, 'POST', '/admin/teams', { name: 'team-b' }, 201);
  const key = (team: string, alias: string) => adminOk<CreatedKey>(gw, 'POST', '/admin/keys', { alias, team_id: team }, 201);
  const [a1, a2, b1] = await Promise.all([key(teamA.id, 'a1'), key(teamA.id, 'a2'), key(teamB.id, 'b1')]);
  const client = (k: CreatedKey) => new OpenAI({ apiKey: k.key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 10_000 });

  const r = await client(a1).responses.create({ model: 'mock-1', input: 'Team A question' });
  assert.equal((await client(a2).responses.retrieve(r.id)).id, r.id, 'another key of the same team reads it');
  const followUp = await client(a2).responses.create({ model: 'mock-1', input: 'Follow-up', previous_response_id: r.id });
  assert.equal(followUp.previous_response_id, r.id);

  const notFound = (e: unknown) => e instanceof OpenAI.NotFoundError && (e.error as { code?: string }).code === 'response_not_found';
  await assert.rejects(client(b1).responses.retrieve(r.id), notFound);
  await assert.rejects(client(b1).responses.inputItems.list(r.id), notFound);
  await assert.rejects(client(b1).responses.create({ model: 'mock-1', input: 'x', previous_response_id: r.id }), notFound);
  await assert.rejects(client(b1).responses.delete(r.id), notFound);
  assert.equal((await client(a1).responses.retrieve(r.id)).id, r.id, 'team B could not delete it');

  const db = new pg.Client({ connectionString: pgh.url });
  await db.connect();
  const { rows } = await db.query<{ owner: string; ttl_days: number }>(`select owner, extract(day from expires_at - created_at)::int as ttl_days from responses where id = $1`, [r.id]).finally(() => db.end());
  assert.deepEqual(rows, [{ owner: `team:${teamA.id}`, ttl_days: 30 }]);
});
