/**
 * The limiter's deadline after a long event-loop turn: Redis answered in time, the answer sits unread in the
 * socket while the gateway is busy, and the expired timer must not turn that into "Redis down" (which fails
 * budgets closed: 503 limits_unavailable for a whole burst). Real Redis; the long turn is a synchronous busy
 * wait, the way a burst of request parsing holds the loop.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { redis } from '../../../../test-support/services.js';
import { admissionConfigFromEnv } from '../config.js';
import { DeadlineExceeded, withDeadline } from '../deadline.js';
import { RedisAdmission } from '../redis.js';
import type { AdmissionLogger } from '../types.js';
import { principal, request } from './fixtures.js';

const silent: AdmissionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* the event loop is held, as by a burst of synchronous work */
  }
}

/** A PING on a raw socket: resolves when +PONG has been read. */
function ping(sock: Socket): Promise<string> {
  return new Promise((resolve) => {
    sock.once('data', (d) => resolve(d.toString().trim()));
    sock.write('PING\r\n');
  });
}

/** What ioredis' commandTimeout does: reject when the timer fires, whatever is waiting in the socket. */
function timerOnly<T>(call: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    void call.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

async function socketTo(url: string): Promise<Socket> {
  const u = new URL(url);
  const sock = connect(Number(u.port || 6379), u.hostname);
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  return sock;
}

test('a reply that arrived during a long turn wins over the expired deadline; a plain timer loses it', { timeout: 20_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const sock = await socketTo(r.url);
  try {
    // The same situation twice: the command is written, the loop is held for 4 × the deadline while Redis answers.
    const plain = timerOnly(ping(sock), 50);
    busy(200);
    await assert.rejects(plain, /timed out/, 'the scenario reproduces the false timeout');
    await new Promise((res) => setTimeout(res, 20)); // the late +PONG of the first call is read and dropped

    const tolerant = withDeadline(ping(sock), 50, 'ping');
    busy(200);
    assert.equal(await tolerant, '+PONG');
  } finally {
    sock.destroy();
  }
});

test('a call that is not answered still fails: on a responsive loop, and after a held one', { timeout: 10_000 }, async () => {
  const never = new Promise<never>(() => undefined);
  const started = Date.now();
  await assert.rejects(withDeadline(never, 30, 'silent call'), DeadlineExceeded);
  assert.ok(Date.now() - started >= 30);
  const held = withDeadline(never, 30, 'silent call');
  busy(120);
  await assert.rejects(held, DeadlineExceeded);
});

test('admission after a long turn: Redis answered in time, so the request is admitted and Redis is not marked down', { timeout: 20_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const admission = await RedisAdmission.create({
    config: { ...admissionConfigFromEnv({ REDIS_URL: r.url, SKYWAY_REDIS_COMMAND_TIMEOUT_MS: '50' }), prefix: r.prefix },
    logger: silent,
  });
  try {
    const p = principal(`${r.prefix}k-lag`, { key: { rpm: 100 }, keyBudget: { maxUsd: 1, period: 'daily' } });
    const pending = admission.admit(request(p));
    // The batch is flushed from a setImmediate and ioredis writes it on the next tick: both have run when this
    // callback runs, which then holds the loop for 4 × the command timeout while Redis answers.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        busy(200);
        resolve();
      }),
    );
    const ticket = await pending;
    assert.equal(admission.degraded, false, 'Redis was not taken for down');
    await ticket.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0 });
  } finally {
    await admission.close();
  }
});
