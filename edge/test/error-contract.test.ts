/**
 * One error contract: for the same refusal, the edge function (built, in the vm) and the regional gateway
 * (its catalogue and its virtual-key authenticator against real Postgres) answer with the same status, type and
 * code, and both take them from shared/errors/codes.ts. Paths under /v1/messages get Anthropic's shape.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { edgeCodesUsed, edgeErrorTable, inlineEdgeErrors, SHARED_ERRORS } from '../../shared/errors/codes.js';
import { VirtualKeyAuthenticator } from '../../regional/src/auth/virtual-keys.js';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../test-support/test-db.js';
import { GatewayError, InvalidApiKey, MethodNotAllowed, MissingApiKey, PayloadTooLarge, RouteNotFound } from '../../regional/src/errors/catalogue.js';
import { localChangeBus } from '../../regional/src/keys/events.js';
import { KeyService } from '../../regional/src/keys/service.js';
import { parseSigningSecrets } from '../../regional/src/keys/signing-secrets.js';
import { bundleText, defaultSource } from '../build/bundle.js';
import { ViewerRequestFunction } from '../local/function-runner.js';
import { EDGE_KVS, ev, keys } from './cases.js';

const source = readFileSync(defaultSource(), 'utf8');
const fn = new ViewerRequestFunction(bundleText(source));

async function edgeAnswer(method: string, uri: string, headers: Record<string, string>, kvs = EDGE_KVS) {
  const out = await fn.run(ev(method, uri, headers), kvs);
  assert.ok(out.response, `the edge passed ${method} ${uri} on`);
  const b = out.response.body;
  return { status: out.response.statusCode, body: JSON.parse(typeof b === 'string' ? b : (b?.data ?? '{}')) as { type?: string; error: { type: string; code?: string; message: string } } };
}

function same(edge: Awaited<ReturnType<typeof edgeAnswer>>, gateway: GatewayError, what: string) {
  assert.deepEqual({ status: edge.status, type: edge.body.error.type, code: edge.body.error.code }, { status: gateway.status, type: gateway.type, code: gateway.code }, what);
}

test('the edge source carries the shared table, and uses only declared codes', () => {
  assert.ok(source.includes(`const ERR = ${edgeErrorTable()};`), 'edge/function/viewer-request.js: copy the table from shared/errors/codes.ts (edgeErrorTable())');
  const declared = Object.values(SHARED_ERRORS).map((e) => e.code);
  for (const code of edgeCodesUsed(source)) assert.ok(declared.includes(code as (typeof declared)[number]), code);
  assert.throws(() => inlineEdgeErrors(source.replace("fail(a, 'api_key_revoked'", "fail(a, 'key_revoked'")), /key_revoked/);
});

test('edge and gateway answer the same refusals with the same status, type and code', async () => {
  same(await edgeAnswer('POST', '/v1/nope', {}), new RouteNotFound('POST', '/v1/nope'), 'unknown path');
  same(await edgeAnswer('GET', '/v1/chat/completions', {}), new MethodNotAllowed('GET', '/v1/chat/completions', ['POST']), 'wrong method');
  same(await edgeAnswer('POST', '/v1/chat/completions', { 'content-length': '999999999' }), new PayloadTooLarge(4194304), 'body too large');
  same(await edgeAnswer('POST', '/v1/chat/completions', {}), new MissingApiKey(), 'no key');
  same(await edgeAnswer('POST', '/v1/chat/completions', { authorization: 'Bearer sk-nope' }), new InvalidApiKey(), 'not a key');
});

test('a revoked key: the edge and the gateway authenticator give the same code', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const secrets = parseSigningSecrets(TEST_SIGNING_SECRETS);
  const service = new KeyService({ db: pg.db, bus: localChangeBus, secrets });
  const { key, row } = await service.create({ id: 'test', kind: 'system' }, {});
  await service.revoke({ id: 'test', kind: 'system' }, row.id, 'contract test');
  const auth = new VirtualKeyAuthenticator({ db: pg.db, bus: localChangeBus, secrets });
  const gatewayErr = await Promise.resolve()
    .then(() => auth.authenticate(key))
    .then(
      () => assert.fail('the gateway accepted a revoked key'),
      (err: unknown) => err as GatewayError,
    );
  assert.ok(gatewayErr instanceof GatewayError);
  const edge = await edgeAnswer('POST', '/v1/chat/completions', { authorization: `Bearer ${keys.revoked}` });
  same(edge, gatewayErr, 'revoked key');
  assert.equal(edge.body.error.code, SHARED_ERRORS.apiKeyRevoked.code);
});

test('/v1/messages: Anthropic error shape from the edge; the no-key message names x-api-key', async () => {
  const noKey = await edgeAnswer('POST', '/v1/messages', {});
  assert.equal(noKey.status, 401);
  assert.equal(noKey.body.type, 'error');
  assert.deepEqual(Object.keys(noKey.body.error).sort(), ['message', 'type']);
  assert.equal(noKey.body.error.type, SHARED_ERRORS.missingApiKey.anthropicType);
  assert.match(noKey.body.error.message, /x-api-key/);
  const unknown = await edgeAnswer('POST', '/v1/messages/batches', { 'x-api-key': keys.valid });
  assert.deepEqual([unknown.status, unknown.body.type, unknown.body.error.type], [404, 'error', 'not_found_error']);
  const chat = await edgeAnswer('POST', '/v1/chat/completions', {});
  assert.equal(chat.body.type, undefined, 'OpenAI paths keep the OpenAI shape');
  assert.doesNotMatch(chat.body.error.message, /x-api-key/);
});
