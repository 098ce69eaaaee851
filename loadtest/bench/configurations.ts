/**
 * The gateway configurations the benchmark measures. A feature that changes the hot path adds one entry here:
 * a name, the env it needs, YAML appended to the gateway config (after the mock's `models:` block), and
 * optionally a setup step that returns the API key the load uses (default: the master key).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchGateway {
  url: string;
  adminUrl: string;
  masterKey: string;
}

export interface BenchConfiguration {
  name: string;
  description: string;
  /** Extra environment for the gateway process; may be computed (e.g. a fresh database). */
  env: Record<string, string> | (() => Promise<Record<string, string> | undefined>);
  /** Extra top-level YAML for the gateway config file. */
  yaml: string;
  /** After the gateway is ready: the key to load it with. */
  setup?: (gw: BenchGateway) => Promise<string>;
  /** What runs: the gateway (default) or the floor proxy (bench/floor.ts), which ignores env, yaml and setup. */
  program?: 'gateway' | 'floor';
}

const PG_ADMIN = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const created: string[] = [];

/** Drop the databases this run created (after the gateways using them stopped). */
export async function dropBenchDatabases(): Promise<void> {
  if (created.length === 0) return;
  const c = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    for (const name of created.splice(0)) await c.query(`drop database if exists ${name} with (force)`);
  } catch {
    /* the server went away: nothing to clean */
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh database on the machine's Postgres (undefined when there is none: the configuration is skipped). */
async function freshDatabase(): Promise<string | undefined> {
  const name = `skyway_bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.query(`create database ${name}`);
    created.push(name);
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
  const u = new URL(PG_ADMIN);
  u.pathname = '/' + name;
  return u.toString();
}

/** A virtual key whose limits apply (and are checked in Redis) but never bind during the benchmark. */
async function limitedKey(gw: BenchGateway): Promise<string> {
  for (let i = 0; i < 100 && !(await fetch(`${gw.adminUrl}/health/readiness`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  const res = await fetch(`${gw.adminUrl}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ alias: 'bench', models: ['mock-1'], limits: { rpm: 1_000_000_000, tpm: 1_000_000_000_000, max_parallel: 100_000 }, budget: { max_usd: 1_000_000, period: 'monthly' } }),
  });
  const body = (await res.json()) as { key?: string };
  if (res.status !== 201 || !body.key) throw new Error(`could not create the bench key: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.key;
}

export const configurations: BenchConfiguration[] = [
  {
    name: 'floor',
    description: 'bare uWS + JSON.parse + undici, no auth/logs/usage (bench/floor.ts): the denominator of every ratio',
    env: {},
    yaml: '',
    program: 'floor',
  },
  {
    name: 'embedded',
    description: 'embedded stores, master key, access log and usage files on (the `npm start` defaults)',
    env: {},
    yaml: '',
  },
  {
    name: 'keys+limits',
    description: 'virtual key from Postgres, RPM/TPM/parallel/budget in Redis, spend to Postgres, usage files',
    env: async () => {
      const db = await freshDatabase();
      return db ? { DATABASE_URL: db, REDIS_URL: REDIS, SKYWAY_ROLE: 'all', SKYWAY_KEY_SIGNING_SECRETS: `1:${randomBytes(32).toString('hex')}` } : undefined;
    },
    // A price so that budgets reserve and settle real amounts.
    yaml: 'pricing:\n  mock-1: { input: 1, output: 2 }\n',
    setup: limitedKey,
  },
];
