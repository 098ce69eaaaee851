#!/usr/bin/env node
/**
 * `skyway`: a small client for the admin API.
 *
 *   skyway keys create [--alias A] [--team ID] [--user ID] [--models m1,m2] [--rpm N] [--tpm N] [--max-parallel N]
 *                      [--budget USD --period daily|weekly|monthly|none] [--expires ISO-8601]
 *   skyway keys list [--team ID] [--user ID] [--status active|revoked|expired|rotated] [--limit N]
 *   skyway keys revoke <key id> [--reason TEXT]
 *   skyway keys rotate <key id> [--grace SECONDS]
 *   skyway spend [--by key|team|user|model|day] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--team ID] [--key ID]
 *
 * Every command takes --json. Environment: SKYWAY_ADMIN_URL (default http://127.0.0.1:4001) and
 * SKYWAY_MASTER_KEY (or SKYWAY_ADMIN_TOKEN, an OIDC bearer token).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

type Json = Record<string, unknown>;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = `usage: skyway keys create|list|revoke|rotate … | skyway spend … (see --help)`;

class CliError extends Error {}

async function request(io: CliIo, method: string, path: string, body?: unknown): Promise<Json> {
  const base = (io.env.SKYWAY_ADMIN_URL ?? 'http://127.0.0.1:4001').replace(/\/+$/, '');
  const token = io.env.SKYWAY_ADMIN_TOKEN ?? io.env.SKYWAY_MASTER_KEY;
  if (!token) throw new CliError('set SKYWAY_MASTER_KEY (or SKYWAY_ADMIN_TOKEN)');
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : null,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new CliError(`cannot reach the admin API at ${base}: ${(err as Error).message}`);
  }
  const json = (await res.json().catch(() => ({}))) as Json & { error?: { message?: string; code?: string } };
  if (!res.ok) throw new CliError(`${res.status} ${json.error?.code ?? ''}: ${json.error?.message ?? res.statusText}`);
  return json;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number`);
  return n;
}

function table(rows: Array<Record<string, unknown>>, cols: string[]): string[] {
  const cell = (v: unknown) => (v == null ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))];
}

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  alias: { type: 'string' },
  team: { type: 'string' },
  user: { type: 'string' },
  key: { type: 'string' },
  models: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'max-parallel': { type: 'string' },
  budget: { type: 'string' },
  period: { type: 'string' },
  expires: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  reason: { type: 'string' },
  grace: { type: 'string' },
  by: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  model: { type: 'string' },
} as const;

/** Run one command; returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [group, action, arg] = positionals;
  const print = (value: Json, human: () => string[]) => (o.json ? io.out(JSON.stringify(value, null, 2)) : human().forEach((l) => io.out(l)));
  try {
    if (o.help || !group) {
      io.out(USAGE);
      return o.help ? 0 : 2;
    }
    if (group === 'keys' && action === 'create') {
      const limits = { rpm: num(o.rpm, 'rpm'), tpm: num(o.tpm, 'tpm'), max_parallel: num(o['max-parallel'], 'max-parallel') };
      const body: Json = {
        alias: o.alias,
        team_id: o.team,
        user_id: o.user,
        models: o.models?.split(',').map((m) => m.trim()).filter(Boolean),
        limits: Object.values(limits).some((v) => v !== undefined) ? limits : undefined,
        budget: o.budget ? { max_usd: num(o.budget, 'budget'), period: o.period ?? 'monthly' } : undefined,
        expires_at: o.expires,
      };
      const k = await request(io, 'POST', '/admin/keys', body);
      print(k, () => [`created key ${String(k.id)}${k.alias ? ` (${String(k.alias)})` : ''}`, `key: ${String(k.key)}`, 'Store it now: it is not shown again.']);
      return 0;
    }
    if (group === 'keys' && action === 'list') {
      const q = new URLSearchParams();
      for (const [name, value] of [['team_id', o.team], ['user_id', o.user], ['status', o.status], ['limit', o.limit ?? '100'], ['model', o.model]] as const) if (value) q.set(name, value);
      const page = await request(io, 'GET', `/admin/keys?${q}`);
      const data = page.data as Json[];
      print(page, () => [...table(data, ['id', 'alias', 'status', 'team_id', 'models', 'expires_at', 'created_at']), ...(page.has_more ? ['(more: raise --limit or filter)'] : [])]);
      return 0;
    }
    if (group === 'keys' && (action === 'revoke' || action === 'rotate')) {
      if (!arg) throw new CliError(`usage: skyway keys ${action} <key id>`);
      if (action === 'revoke') {
        const k = await request(io, 'POST', `/admin/keys/${encodeURIComponent(arg)}/revoke`, o.reason ? { reason: o.reason } : {});
        print(k, () => [`revoked key ${String(k.id)} at ${String(k.revoked_at)}`]);
      } else {
        const r = await request(io, 'POST', `/admin/keys/${encodeURIComponent(arg)}/rotate`, { grace_period_seconds: num(o.grace, 'grace') ?? 86400 });
        const k = r.key as Json;
        const prev = r.previous as Json;
        print(r, () => [`new key ${String(k.id)}: ${String(k.key)}`, `old key ${String(prev.id)} works until ${String(prev.grace_expires_at)}`]);
      }
      return 0;
    }
    if (group === 'spend') {
      const q = new URLSearchParams({ group_by: o.by ?? 'day' });
      for (const [name, value] of [['from', o.from], ['to', o.to], ['team_id', o.team], ['key_id', o.key], ['user_id', o.user], ['model', o.model]] as const) if (value) q.set(name, value);
      const r = await request(io, 'GET', `/admin/spend?${q}`);
      const rows = (r.data as Json[]).map((x) => ({ ...x, cost_usd: Number(x.cost_usd).toFixed(4) }));
      const total = r.total as Json;
      print(r, () => [`spend by ${String(r.group_by)}, ${String(r.from)} .. ${String(r.to)}`, ...table(rows, ['group', 'requests', 'total_tokens', 'cost_usd']), `total: ${String(total.requests)} requests, ${String(total.total_tokens)} tokens, $${Number(total.cost_usd).toFixed(4)}`]);
      return 0;
    }
    io.err(USAGE);
    return 2;
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`skyway: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const code = await main(process.argv.slice(2), { env: process.env, out: (l) => console.log(l), err: (l) => console.error(l) });
  process.exitCode = code;
}
