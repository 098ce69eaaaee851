/**
 * Two real gateway processes sharing Postgres and Redis, for the admission (limits) end-to-end tests:
 * A plays every role (api + admin), B only `api`. Both talk to a private redis-server (so a test can stop and
 * restart it) and to one mock upstream. Virtual keys are created through A's admin API; bursts of concurrent
 * chat requests are spread over A and B and their outcomes tallied.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { startMockUpstream, type MockUpstream } from '../loadtest/mock/server.js';
import { startGatewayProcess, type GatewayProcess } from './gateway.js';
import { waitForAdmin } from './e2e-admin.js';
import { postgres, privateRedis, type PostgresHandle, type RedisHandle } from './services.js';

export interface LimitsCluster {
  a: GatewayProcess;
  b: GatewayProcess;
  mock: MockUpstream;
  redis: RedisHandle;
  /** Kill the Redis server (SIGKILL) / start it again on the same port, empty. */
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  /** Create a virtual key through A's admin API; returns the plaintext key. */
  createKey(body: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** YAML config for both processes, given the mock's URL. */
  config: (mockUrl: string) => string;
  /** Extra environment for both processes. */
  env?: Record<string, string>;
  /** Extra environment for B only (e.g. another region: its own SKYWAY_REGION and Redis key prefix). */
  envB?: Record<string, string>;
  /**
   * B is another region: its own regional store (DATABASE_URL: usage, spend), while keys and the spend ledger stay
   * in the shared database (CONFIG_DATABASE_URL, SKYWAY_LEDGER_DATABASE_URL), as in a deployment.
   */
  regionalStoreB?: boolean;
}

/** Start everything, or return undefined when Postgres or redis-server is missing (the test was skipped). */
export async function startLimitsCluster(t: TestContext, opts: ClusterOptions): Promise<LimitsCluster | undefined> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const pg: PostgresHandle | undefined = await postgres(t);
    if (!pg) return undefined;
    stops.push(() => pg.close());
    const redis = await privateRedis(t);
    if (!redis) {
      await close();
      return undefined;
    }
    // services.ts's stop() waits for an 'exit' that already happened when called twice (it checks exitCode,
    // which stays null after a kill): close only a server this cluster left running.
    let redisUp = true;
    stops.push(async () => {
      if (redisUp) await redis.close();
    });
    const stopRedis = async () => {
      redisUp = false;
      await redis.stop!();
    };
    const startRedis = async () => {
      await redis.start!();
      redisUp = true;
      // start() only waits for the port to open: make sure it is our Redis answering (another process may have
      // taken the port while it was free), else the gateways would wait for a recovery that cannot come.
      const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        assert.equal(await probe.ping(), 'PONG');
      } catch (err) {
        throw new Error(`restarted Redis at ${redis.url} does not answer (port taken by another process?): ${String(err)}`);
      } finally {
        probe.disconnect();
      }
    };
    const mock = await startMockUpstream({ port: 0 });
    stops.push(() => mock.close());
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      SKYWAY_KEY_SIGNING_SECRETS: `1:${randomBytes(32).toString('hex')}`,
      SKYWAY_MASTER_KEY: `sk-test-master-${randomBytes(8).toString('hex')}`,
      ...opts.env,
    };
    const config = opts.config(mock.url);
    // One after the other: the api role migrates the schema at start.
    const a = await startGatewayProcess({ config, env: { ...env, SKYWAY_ROLE: 'all' } });
    stops.push(() => a.stop());
    let storesB: Record<string, string> = {};
    if (opts.regionalStoreB) {
      const pgB = await postgres(t);
      if (!pgB) {
        await close();
        return undefined;
      }
      stops.push(() => pgB.close());
      storesB = { DATABASE_URL: pgB.url, CONFIG_DATABASE_URL: pg.url, SKYWAY_LEDGER_DATABASE_URL: pg.url };
    }
    const b = await startGatewayProcess({ config, env: { ...env, ...storesB, ...opts.envB, SKYWAY_ROLE: 'api' } });
    stops.push(() => b.stop());
    await waitForAdmin(a);
    const createKey = async (body: Record<string, unknown>): Promise<string> => {
      const res = await fetch(a.adminUrl + '/admin/keys', {
        method: 'POST',
        headers: { authorization: `Bearer ${a.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { key?: string };
      assert.equal(res.status, 201, `POST /admin/keys: ${res.status} ${JSON.stringify(json)}`);
      assert.ok(json.key, 'the created key carries its plaintext');
      return json.key;
    };
    return { a, b, mock, redis, stopRedis, startRedis, createKey, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface Outcome {
  /** Which process answered: 'a' or 'b'. */
  via: 'a' | 'b';
  status: number;
  headers: Headers;
  /** The OpenAI-shaped error of a non-2xx answer. */
  error?: { type: string; code: string | null; message: string };
  /** The usage of a 2xx answer. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** Send one chat request to `gw` with `key`; reads the whole answer. */
export async function chat(gw: GatewayProcess, via: 'a' | 'b', key: string, body: Record<string, unknown>): Promise<Outcome> {
  const res = await fetch(gw.url + '/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const out: Outcome = { via, status: res.status, headers: res.headers };
  try {
    const json = JSON.parse(text) as { error?: Outcome['error']; usage?: Outcome['usage'] };
    if (json.error) out.error = json.error;
    if (json.usage) out.usage = json.usage;
  } catch {
    out.error = { type: 'unparsable', code: null, message: text.slice(0, 200) };
  }
  return out;
}

/** `perProcess` concurrent requests to each of A and B, all in flight at once. */
export function burst(c: LimitsCluster, key: string, body: Record<string, unknown>, perProcess: { a: number; b: number }): Promise<Outcome[]> {
  const all: Promise<Outcome>[] = [];
  const n = Math.max(perProcess.a, perProcess.b);
  // Interleave so that both processes see their requests arrive at the same time.
  for (let i = 0; i < n; i++) {
    if (i < perProcess.a) all.push(chat(c.a, 'a', key, body));
    if (i < perProcess.b) all.push(chat(c.b, 'b', key, body));
  }
  return Promise.all(all);
}

/** Count outcomes by `status` or `status type code` (for errors), e.g. { '200': 100, '429 rate_limit_error rate_limit_exceeded': 200 }. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) {
    const k = o.error ? `${o.status} ${o.error.type} ${o.error.code}` : String(o.status);
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
}

/** Wait until `cond` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
