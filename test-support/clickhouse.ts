/**
 * A real ClickHouse engine for tests: chDB (the ClickHouse engine as an npm library) behind a small HTTP
 * endpoint that speaks the part of ClickHouse's HTTP interface `@clickhouse/client` uses (queries in the body
 * or `query=`, inserts with data in the body, `param_*` bindings, insert settings, gzip request bodies, errors
 * with `X-ClickHouse-Exception-Code`). The endpoint can be stopped and started again on the same port while the
 * data stays, for fault tests. With CLICKHOUSE_URL set, that server is used instead (a fresh database per
 * handle; no stop/start).
 *
 * Limits of the endpoint: settings other than insert settings are ignored, `database=` is ignored (chDB's
 * `default`), no sessions, no response compression. chDB runs one engine per process: one handle per test file.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createClient } from '@clickhouse/client';
import { missingService } from './services.js';

export interface ClickHouseHandle {
  url: string;
  username: string;
  password: string;
  database: string;
  /** Run SQL against the engine directly (works while the HTTP endpoint is stopped); JSONEachRow rows. */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Present for the private chDB endpoint: take the HTTP endpoint down and bring it back (data kept). */
  stop?: () => Promise<void>;
  start?: () => Promise<void>;
  close(): Promise<void>;
}

interface ChdbSession {
  queryAsync(q: string, o?: { format?: string }): Promise<{ text(): string }>;
  queryBindAsync(q: string, p: object, o?: { format?: string }): Promise<{ text(): string }>;
  close(): void;
}

const ENDPOINT_PARAMS = new Set(['query', 'query_id', 'database', 'default_format', 'session_id', 'role', 'user', 'password']);

function sqlString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

async function handle(session: ChdbSession, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/ping' || (req.method === 'GET' && !url.searchParams.has('query'))) {
    res.end('Ok.\n');
    return;
  }
  const body = await readBody(req);
  const params: Record<string, string> = {};
  const settings: string[] = [];
  for (const [k, v] of url.searchParams) {
    if (k.startsWith('param_')) params[k.slice(6)] = v;
    else if (!ENDPOINT_PARAMS.has(k)) settings.push(`${k} = ${/^-?\d+(\.\d+)?$/.test(v) ? v : sqlString(v)}`);
  }
  let sql: string;
  const inUrl = url.searchParams.get('query');
  if (inUrl !== null && body.length > 0) {
    // An insert: statement in the URL, data in the body. Insert settings go before FORMAT.
    sql = inUrl;
    if (settings.length > 0 && /^\s*insert\b/i.test(sql)) sql = sql.replace(/\s+FORMAT\s+(\w+)\s*$/i, ` SETTINGS ${settings.join(', ')} FORMAT $1`);
    sql += '\n' + body.toString('utf8');
  } else {
    sql = inUrl ?? body.toString('utf8');
  }
  const format = url.searchParams.get('default_format') ?? 'TabSeparated';
  try {
    const result = Object.keys(params).length
      ? await session.queryBindAsync(sql, params, { format })
      : await session.queryAsync(sql, { format });
    res.setHeader('X-ClickHouse-Summary', '{"read_rows":"0","read_bytes":"0","written_rows":"0","written_bytes":"0","total_rows_to_read":"0"}');
    res.end(result.text());
  } catch (err) {
    const e = err as { clickhouseCode?: number; message?: string };
    const code = e.clickhouseCode ?? 1000;
    const msg = String(e.message ?? err);
    res.statusCode = 500;
    res.setHeader('X-ClickHouse-Exception-Code', String(code));
    res.end(msg.startsWith('Code:') ? msg : `Code: ${code}. DB::Exception: ${msg}`);
  }
}

/** Start chDB behind an HTTP endpoint on a free loopback port. */
export async function startChdbEndpoint(): Promise<ClickHouseHandle> {
  const chdb = (await import('chdb')) as unknown as { Session: new (path: string) => ChdbSession };
  const dir = mkdtempSync(join(tmpdir(), 'skyway-chdb-'));
  const session = new chdb.Session(join(dir, 'db'));
  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    if (server) return;
    const s = createServer((req, res) => {
      handle(session, req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = s.address();
    port = typeof addr === 'object' && addr ? addr.port : port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    if (!s) return;
    server = undefined;
    const closed = new Promise<void>((r) => s.close(() => r()));
    s.closeAllConnections();
    await closed;
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    username: 'default',
    password: '',
    database: 'default',
    query: async <T>(sql: string) => parseRows<T>((await session.queryAsync(sql, { format: 'JSONEachRow' })).text()),
    stop,
    start,
    close: async () => {
      await stop();
      session.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function parseRows<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/**
 * ClickHouse for a test: CLICKHOUSE_URL's server (fresh database) unless `private`, else chDB behind the HTTP
 * endpoint. Returns undefined (after skipping `t`) when neither can be had.
 */
export async function clickhouse(t: TestContext, opts: { private?: boolean } = {}): Promise<ClickHouseHandle | undefined> {
  const external = process.env.CLICKHOUSE_URL;
  if (external && !opts.private) {
    const username = process.env.CLICKHOUSE_USER ?? 'default';
    const password = process.env.CLICKHOUSE_PASSWORD ?? '';
    const database = `skyway_test_${randomBytes(6).toString('hex')}`;
    const admin = createClient({ url: external, username, password });
    await admin.command({ query: `CREATE DATABASE ${database}` });
    const client = createClient({ url: external, username, password, database });
    return {
      url: external,
      username,
      password,
      database,
      query: async <T>(sql: string) => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[],
      close: async () => {
        await client.close();
        await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
        await admin.close();
      },
    };
  }
  try {
    return await startChdbEndpoint();
  } catch (err) {
    missingService(t, `ClickHouse: CLICKHOUSE_URL unset and chDB could not start: ${String(err)}`);
    return undefined;
  }
}
