/**
 * The stores of one region, real and on loopback: a private database on a real Postgres (reached through a
 * partition proxy), one private `redis-server` per ElastiCache replication group (AUTH token and
 * maxmemory-policy from the template's parameter group), and buckets in the shared s3rver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from '../../test-support/free-port.js';
import { portOpen } from '../../test-support/services.js';
import { REDIS_MAXMEMORY } from './mapping.js';
import { startPartitionProxy, type PartitionProxy } from './partition-proxy.js';
import type { RedisSpec } from './template-model.js';

export interface RegionDatabase {
  /** Loopback port of the proxy tasks connect to. */
  port: number;
  name: string;
  user: string;
  proxy: PartitionProxy;
  /** A direct URL for the harness's own checks (not through the proxy). */
  directUrl: string;
  close(): Promise<void>;
}

/** The machine's Postgres (SKYWAY_REHEARSAL_PG_URL, else DATABASE_URL, else 127.0.0.1:5432 trust). */
export function serverUrl(): string {
  return process.env.SKYWAY_REHEARSAL_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export async function createRegionDatabase(label: string, user: string, password: string): Promise<RegionDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  const name = `rehearsal_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
  try {
    // The template's master user, with the password the stand-in generated for it.
    await admin.query(`do $$ begin if not exists (select from pg_roles where rolname = '${user}') then create role ${user} login; end if; end $$`);
    await admin.query(`alter role ${user} with login password '${password.replace(/'/g, "''")}'`);
    await admin.query(`create database ${name} owner ${user}`);
  } finally {
    await admin.end();
  }
  const server = new URL(serverUrl());
  const proxy = await startPartitionProxy(server.hostname, Number(server.port || 5432));
  const direct = new URL(serverUrl());
  direct.pathname = '/' + name;
  return {
    port: proxy.port,
    name,
    user,
    proxy,
    directUrl: direct.toString(),
    close: async () => {
      await proxy.close();
      const c = new pg.Client({ connectionString: serverUrl() });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      await c.end();
    },
  };
}

export interface RegionRedis {
  spec: RedisSpec;
  port: number;
  password: string;
  /** Kill the server (its memory is gone: no persistence, as an ElastiCache node replaced without replicas). */
  kill(): Promise<void>;
  start(): Promise<void>;
  config(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startRegionRedis(spec: RedisSpec, password: string): Promise<RegionRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--requirepass', password, '--maxmemory', REDIS_MAXMEMORY, '--maxmemory-policy', spec.maxmemoryPolicy,
  ];
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const until = Date.now() + 5000;
    while (!(await portOpen('127.0.0.1', port, 200))) {
      if (Date.now() > until) throw new Error(`redis-server for ${spec.id} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    spec,
    port,
    password,
    kill,
    start,
    config: async (name) => {
      const { Redis } = await import('ioredis');
      const r = new Redis({ port, password, lazyConnect: true });
      await r.connect();
      const out = (await r.config('GET', name)) as string[];
      r.disconnect();
      return out[1] ?? '';
    },
    close: kill,
  };
}
