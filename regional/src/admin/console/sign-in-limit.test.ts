import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../../test-support/test-db.js';
import { privateRedis, redis } from '../../../../test-support/services.js';
import { RateLimited } from '../../errors/catalogue.js';
import { parseSigningSecrets } from '../../keys/signing-secrets.js';
import { startAdminServer } from '../server.js';
import { accountOf, clientIp, memoryCounters, redisCounters, SignInLimiter } from './sign-in-limit.js';

const LIMITS = { perIp: 5, perAccount: 3, windowMs: 60_000 };

async function refused(p: Promise<unknown>): Promise<RateLimited> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof RateLimited, `expected a 429, got ${String(err)}`);
  return err;
}

test('sign-in limiter: failures per IP and per account in a fixed window; successes are given back', async () => {
  let now = 1_000_000;
  const limiter = new SignInLimiter(LIMITS, undefined, memoryCounters(() => now));
  for (let i = 0; i < 5; i++) await limiter.attempt('10.0.0.1', undefined);
  const err = await refused(limiter.attempt('10.0.0.1', undefined));
  assert.equal(err.status, 429);
  assert.equal(err.code, 'sign_in_rate_limited');
  assert.deepEqual(err.toBody().error.type, 'rate_limit_error');
  assert.equal(err.headers?.['retry-after'], '60');
  // Another address is not affected; successful sign-ins never use up the allowance.
  for (let i = 0; i < 20; i++) await (await limiter.attempt('10.0.0.2', undefined)).succeeded();
  // Per account: three failures from three addresses lock the account, not the addresses.
  for (const ip of ['10.1.0.1', '10.1.0.2', '10.1.0.3']) await limiter.attempt(ip, 'oidc:iss:alice');
  await refused(limiter.attempt('10.1.0.4', 'oidc:iss:alice'));
  await limiter.attempt('10.1.0.4', 'oidc:iss:bob');
  now += 30_000;
  assert.equal((await refused(limiter.attempt('10.0.0.1', undefined))).headers?.['retry-after'], '30');
  now += 30_001;
  await limiter.attempt('10.0.0.1', undefined);
  await limiter.attempt('10.1.0.5', 'oidc:iss:alice');
});

test('sign-in limiter: account and client address parsing', () => {
  const jwt = (claims: object) => ['e30', Buffer.from(JSON.stringify(claims)).toString('base64url'), 'sig'].join('.');
  assert.equal(accountOf(jwt({ iss: 'https://idp', sub: 'u1' })), 'oidc:https://idp:u1');
  assert.equal(accountOf('sk-master-guess'), undefined, 'master-key attempts count per IP only');
  assert.equal(accountOf('a.b.c'), undefined);
  assert.equal(clientIp('10.0.0.9', '1.2.3.4', 0), '10.0.0.9', 'no trusted proxy: the socket peer');
  // Behind CloudFront and the ALB: "<spoofed>, <viewer as CloudFront saw it>, <CloudFront as the ALB saw it>".
  assert.equal(clientIp('10.0.0.9', '6.6.6.6, 1.2.3.4, 130.176.0.1', 2), '1.2.3.4');
  assert.equal(clientIp('10.0.0.9', ['1.2.3.4', '130.176.0.1'], 2), '1.2.3.4');
  assert.equal(clientIp('10.0.0.9', '1.2.3.4', 2), '1.2.3.4', 'fewer entries than hops: the leftmost');
  assert.equal(clientIp(undefined, undefined, 2), 'unknown');
});

test('sign-in limiter in Redis: replicas share the counters; with Redis gone each replica limits on its own', async (t) => {
  const r = await privateRedis(t);
  if (!r) return;
  t.after(() => r.close());
  const a = new SignInLimiter(LIMITS, redisCounters(r.url, r.prefix));
  const b = new SignInLimiter(LIMITS, redisCounters(r.url, r.prefix));
  t.after(() => Promise.all([a.close(), b.close()]));
  for (let i = 0; i < 3; i++) await a.attempt('10.2.0.1', undefined);
  for (let i = 0; i < 2; i++) await b.attempt('10.2.0.1', undefined);
  await refused(a.attempt('10.2.0.1', undefined));
  await refused(b.attempt('10.2.0.1', undefined));
  await (await b.attempt('10.2.0.2', undefined)).succeeded();
  await r.stop!();
  // Redis is down: memory decides (this replica has seen nothing from 10.2.0.1 locally).
  for (let i = 0; i < 5; i++) await a.attempt('10.2.0.1', undefined);
  await refused(a.attempt('10.2.0.1', undefined));
});

test('POST /admin/session: a 429 in the OpenAI shape with retry-after after too many failures from one address', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const shared = await redis(t);
  const admin = await startAdminServer({
    host: '127.0.0.1', port: 0, db: pg.db, masterKey: 'sk-master-limit', signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS), dataDir: undefined, secureCookie: false,
    signInLimiter: new SignInLimiter(LIMITS, shared ? redisCounters(shared.url, shared.prefix) : undefined), proxyHops: 1,
    // Never contacted: the callbacks below fail on their missing flow cookie before any call to the issuer.
    oidc: { issuer: 'http://127.0.0.1:9/issuer', audience: 'skyway-console' },
  });
  t.after(async () => {
    await admin.close();
    await shared?.close();
  });
  const signIn = (credential: string, from: string) =>
    fetch(admin.url + '/admin/session', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body: JSON.stringify({ credential }) });
  for (let i = 0; i < 5; i++) assert.equal((await signIn('sk-wrong', '198.51.100.7')).status, 401);
  const limited = await signIn('sk-master-limit', '198.51.100.7');
  assert.equal(limited.status, 429, 'refused before the credential is checked');
  assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
  const body = (await limited.json()) as { error: { type: string; code: string; message: string; param: null } };
  assert.deepEqual([body.error.type, body.error.code, body.error.param], ['rate_limit_error', 'sign_in_rate_limited', null]);
  assert.equal(limited.headers.get('set-cookie'), null);
  // Another client (one trusted hop: the last X-Forwarded-For entry) signs in, and its success does not count.
  for (let i = 0; i < 8; i++) assert.equal((await signIn('sk-master-limit', '6.6.6.6, 203.0.113.9')).status, 200);
  // The OIDC callback counts per address too (the account is unknown until the ID token is verified).
  for (let i = 0; i < 5; i++) {
    const cb = await fetch(admin.url + '/admin/session/oidc/callback?code=x&state=y', { headers: { 'x-forwarded-for': '192.0.2.44' }, redirect: 'manual' });
    assert.equal(cb.status, 401);
  }
  const cb = await fetch(admin.url + '/admin/session/oidc/callback?code=x&state=y', { headers: { 'x-forwarded-for': '192.0.2.44' }, redirect: 'manual' });
  assert.equal(cb.status, 429);
  assert.ok(cb.headers.get('retry-after'));
  // Bearer calls to the API are not sign-ins.
  const keys = await fetch(admin.url + '/admin/keys', { headers: { authorization: 'Bearer sk-master-limit', 'x-forwarded-for': '198.51.100.7' } });
  assert.equal(keys.status, 200);
});
