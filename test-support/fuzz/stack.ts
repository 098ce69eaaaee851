/**
 * The system under fuzz: one real gateway process (role `all`, so it also serves the admin API that makes its
 * key) on Postgres and Redis, in front of the mock upstream, with a virtual key that has every kind of limit.
 * It restarts the gateway when a case killed it (so the next case, and fast-check's shrinking, run against a
 * live process) and answers the process-level questions the properties ask: is it alive, did anything reach
 * its last-resort error handlers, are reservations still held in Redis.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { planAdmission } from '../../regional/src/admission/plan.js';
import { hashTag, scopeKeys } from '../../regional/src/admission/redis-keys.js';
import type { BudgetSpec, LimitSet, Principal } from '../../regional/src/auth/principal.js';
import { adminOk, signingSecretsEnv, waitForAdmin, type CreatedKey } from '../e2e-admin.js';
import { freePort } from '../free-port.js';
import { startGatewayProcess, type GatewayProcess } from '../gateway.js';
import { postgres, redis as redisService } from '../services.js';
import { send } from './raw-client.js';

/** Limits generous enough that fuzz traffic is admitted, tight enough that each kind is planned and reserved. */
const LIMITS: LimitSet = { rpm: 1_000_000, tpm: 1_000_000_000, maxParallel: 16 };
const BUDGET: BudgetSpec = { maxUsd: 1_000_000, period: 'none' };

/**
 * Every model priced ($1 per 1M tokens), so budget reservations are never $0. Retries keep their default count
 * but back off for milliseconds, not the default 200 ms+, so an injected upstream 5xx does not cost a second.
 */
function config(mockUrl: string): string {
  const models = ['mock-1', 'mock-embed'];
  return (
    'router:\n  retry: { base_delay_ms: 1, max_delay_ms: 5, max_retry_after_ms: 5 }\n' +
    'models:\n' +
    models
      .map((m) => `  - name: ${m}\n    deployments:\n      - provider: openai\n        model: ${m}\n        api_base: ${mockUrl}/v1\n        options:\n          pricing: { input: 1, output: 1 }\n`)
      .join('')
  );
}

/**
 * What Node prints when an error reaches uncaughtException/unhandledRejection (and what a logging handler there
 * would say) — not the gateway's own "unhandled error in request path", which is a caught error answered 500.
 */
const LAST_RESORT = /uncaught|unhandled ?(promise )?rejection/i;

export interface Reservations {
  /** In-flight leases (max_parallel slots) of the fuzz key. */
  leases: number;
  /** Budget reserved and not yet settled, in micro-USD. */
  reservedMicro: number;
}

export class FuzzStack {
  private gw: GatewayProcess | undefined;
  /** Length of the process output already inspected for last-resort handler hits. */
  private outputSeen = 0;
  /** The ops listener (/metrics) of the current process. */
  private metricsPort = 0;
  /** The plaintext virtual key with limits (set once created). */
  key = '';
  /** The Redis keys holding that key's reservations. */
  private reservationKeys = { lease: '', byRequest: '', reserved: '' };
  private constructor(
    private readonly env: Record<string, string>,
    private readonly configText: string,
    private readonly dataDir: string,
    private readonly redis: Redis,
    readonly masterKey: string,
    private readonly stops: Array<() => Promise<unknown>>,
  ) {}

  /** Start Postgres/Redis (or skip `t` when missing), the mock, the gateway, and create the limited key. */
  static async start(t: TestContext): Promise<FuzzStack | undefined> {
    const stops: Array<() => Promise<unknown>> = [];
    const closeAll = async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    };
    try {
      const pg = await postgres(t);
      if (!pg) return undefined;
      stops.push(() => pg.close());
      const rd = await redisService(t);
      if (!rd) return closeAll().then(() => undefined);
      stops.push(() => rd.close());
      const mock: MockUpstream = await startMockUpstream({ port: 0 });
      stops.push(() => mock.close());
      const dataDir = mkdtempSync(join(tmpdir(), 'skyway-fuzz-'));
      stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      const masterKey = `sk-fuzz-master-${randomBytes(8).toString('hex')}`;
      const prefix = `fuzz${randomBytes(4).toString('hex')}:`;
      const env = {
        DATABASE_URL: pg.url,
        REDIS_URL: rd.url,
        SKYWAY_REDIS_PREFIX: prefix,
        SKYWAY_LIMITS_HASH_TAG: 'global',
        SKYWAY_MASTER_KEY: masterKey,
        SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(),
        SKYWAY_ROLE: 'all',
        SKYWAY_EDGE_KVS_ARN: '',
        SKYWAY_EDGE_KVS_FILE: '',
        SKYWAY_ORIGIN_VERIFY_SECRET: '',
        LOG_LEVEL: 'warn',
      };
      const client = new Redis(rd.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      stops.push(async () => {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length) await client.del(...keys);
        client.disconnect();
      });
      const stack = new FuzzStack(env, config(mock.url), dataDir, client, masterKey, stops);
      stops.push(async () => stack.gw?.stop());
      await stack.ensureRunning();
      await waitForAdmin(stack.gw!);
      const created = await adminOk<CreatedKey>(stack.gw!, 'POST', '/admin/keys', {
        alias: 'fuzz',
        limits: { rpm: LIMITS.rpm, tpm: LIMITS.tpm, max_parallel: LIMITS.maxParallel },
        budget: { max_usd: BUDGET.maxUsd, period: BUDGET.period },
      }, 201);
      // The Redis keys holding this key's reservations, named by the limiter's own key layout.
      const principal: Principal = { kind: 'virtual', keyId: created.id, key: { id: created.id, limits: LIMITS, budget: BUDGET } };
      const plan = planAdmission({ requestId: 'x', principal, model: 'mock-1', estimatedPromptTokens: 0, maxCompletionTokens: 0, estimatedCostUsd: 0 }, Date.now());
      const [, , lease, byRequest, reserved] = scopeKeys(prefix, hashTag('global', principal), plan.scopes[0]!);
      stack.key = created.key;
      stack.reservationKeys = { lease: lease!, byRequest: byRequest!, reserved: reserved! };
      return stack;
    } catch (err) {
      await closeAll();
      throw err;
    }
  }

  get port(): number {
    return this.gw!.port;
  }

  /** The process exited (crash) — with its exit code or signal. */
  exitStatus(): string | undefined {
    const p = this.gw?.proc;
    if (!p || (p.exitCode === null && p.signalCode === null)) return undefined;
    return p.exitCode !== null ? `exit code ${p.exitCode}` : `signal ${p.signalCode}`;
  }

  /** Kills the gateway if this process exits without close() (a signal, an uncaught error): no orphans. */
  private readonly killOnExit = () => {
    this.spawned?.kill('SIGKILL');
  };
  /** The latest gateway child, also while it starts (this.gw is set only once it is ready). */
  private spawned: ChildProcess | undefined;
  private closed = false;

  /** Start the gateway if it is not running (first start, or after a case killed it). Returns true if it (re)started. */
  async ensureRunning(): Promise<boolean> {
    if (this.closed) throw new Error('the fuzz stack is closed');
    if (this.gw && !this.exitStatus()) return false;
    if (!this.spawned) process.on('exit', this.killOnExit);
    if (this.gw) await this.gw.stop();
    // A start can fail for reasons that are not the fuzz's (the shared Redis dropped the connection at boot,
    // seen once here): try again before calling it a harness error.
    for (let attempt = 1; ; attempt++) {
      try {
        this.metricsPort = await freePort();
        this.gw = await startGatewayProcess({
          config: this.configText,
          dataDir: this.dataDir,
          env: { ...this.env, SKYWAY_METRICS_PORT: String(this.metricsPort) },
          onSpawn: (proc) => (this.spawned = proc),
        });
        this.outputSeen = 0;
        return true;
      } catch (err) {
        if (attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** The process still answers (a liveliness request on a fresh connection). */
  async answers(): Promise<boolean> {
    if (this.exitStatus()) return false;
    const x = await send({ port: this.port, pieces: [Buffer.from('GET /health/liveliness HTTP/1.1\r\nhost: x\r\n\r\n')], headRequest: false, abort: { at: 'never' }, timeoutMs: 5000 });
    return x.kind === 'answered' && x.response.status === 200;
  }

  /** Output lines (since the last call) that show an error reaching the process's last-resort handlers. */
  lastResortLines(): string[] {
    const out = this.gw?.output() ?? '';
    const fresh = out.slice(this.outputSeen);
    this.outputSeen = out.length;
    return fresh.split('\n').filter((l) => LAST_RESORT.test(l));
  }

  /** Everything the current process printed (the tail). */
  outputTail(chars = 3000): string {
    return (this.gw?.output() ?? '').slice(-chars);
  }

  /** Sum of every metric whose name or labels say uncaught or unhandled on the ops port (undefined: none yet). */
  async lastResortMetric(): Promise<number | undefined> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`).catch(() => undefined);
    if (!res || res.status !== 200) return undefined;
    let sum: number | undefined;
    // In the metric's name or in a label (`..._total{handler="uncaughtException"}`); HELP/TYPE lines skipped.
    for (const line of (await res.text()).split('\n')) {
      if (line.startsWith('#') || !/uncaught|unhandled/i.test(line)) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(value)) sum = (sum ?? 0) + value;
    }
    return sum;
  }

  /** Reservations of the fuzz key still held in Redis. */
  async reservations(): Promise<Reservations> {
    const [leases, reserved] = await Promise.all([this.redis.zcard(this.reservationKeys.lease), this.redis.get(this.reservationKeys.reserved)]);
    return { leases, reservedMicro: Number(reserved ?? 0) };
  }

  /** Drop a leaked reservation, so that the cases after the one that leaked it are judged on their own. */
  async clearReservations(): Promise<void> {
    const k = this.reservationKeys;
    await this.redis.del(k.lease, k.byRequest, k.reserved);
  }

  /** Poll until no reservation is held, up to `timeoutMs`; returns what is still held then. */
  async settled(timeoutMs: number): Promise<Reservations> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.reservations();
      if ((r.leases === 0 && r.reservedMicro === 0) || Date.now() > until) return r;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Status of GET /health/readiness. */
  async readiness(): Promise<number> {
    const x = await send({ port: this.port, pieces: [Buffer.from('GET /health/readiness HTTP/1.1\r\nhost: x\r\n\r\n')], headRequest: false, abort: { at: 'never' }, timeoutMs: 5000 });
    return x.kind === 'answered' ? x.response.status : 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    process.off('exit', this.killOnExit);
    for (const stop of this.stops.reverse()) await stop().catch(() => undefined);
  }
}
