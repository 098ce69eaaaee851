/**
 * Helpers of the global key store scenarios (1, 5): calls straight to a region's ALB stand-in or to one task (as
 * CloudFront or the ALB would send them, with the origin-verify header), polling until a status, and what the
 * config store's standby has applied.
 */
import pg from 'pg';
import { request } from 'undici';
import { ORIGIN_VERIFY_HEADER } from '../../../shared/contract/index.js';
import { chatBody } from '../client.js';
import type { RegionRuntime } from '../deployment.js';
import { sleep, type ScenarioContext } from '../scenario.js';

/** Why a scenario needs the global config store, when the environment has none. */
export function needsGlobalStore(ctx: ScenarioContext): string | undefined {
  if (!ctx.d.configStore) return `environment ${ctx.d.env} has ${ctx.d.regions.length} region and no global config store (its database is the config store); run with --env staging`;
  return undefined;
}

export interface Answer {
  status: number;
  code: string | undefined;
  requestId: string | undefined;
  region: string | undefined;
  text: string;
}

async function post(url: string, token: string, body: unknown, originVerify: string): Promise<Answer> {
  try {
    const r = await request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', [ORIGIN_VERIFY_HEADER]: originVerify },
      body: JSON.stringify(body),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await r.body.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      code = undefined;
    }
    const header = (n: string) => (typeof r.headers[n] === 'string' ? (r.headers[n] as string) : undefined);
    return { status: r.statusCode, code, requestId: header('x-skyway-request-id'), region: header('x-skyway-region'), text };
  } catch (err) {
    return { status: 0, code: (err as Error).message, requestId: undefined, region: undefined, text: '' };
  }
}

/** A chat completion through the region's ALB stand-in (what CloudFront sends to that region's origin). */
export function chatAt(ctx: ScenarioContext, region: RegionRuntime, token: string): Promise<Answer> {
  return post(`http://127.0.0.1:${region.alb.port}/v1/chat/completions`, token, chatBody(ctx.state.model), ctx.originVerify);
}

/** A chat completion straight to one api task (as the ALB forwards it). */
export function chatAtTask(ctx: ScenarioContext, port: number, token: string): Promise<Answer> {
  return post(`http://127.0.0.1:${port}/v1/chat/completions`, token, chatBody(ctx.state.model), ctx.originVerify);
}

/** An admin write (create a key) through the region's ALB stand-in with the master key. */
export function createKeyAt(ctx: ScenarioContext, region: RegionRuntime): Promise<Answer> {
  return post(`http://127.0.0.1:${region.alb.port}/admin/keys`, ctx.masterKey, { models: [ctx.state.model] }, ctx.originVerify);
}

/** Poll `probe` every `everyMs` until it returns true; the ms waited, or undefined after `timeoutMs`. */
export async function until(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<number | undefined> {
  const t0 = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) return undefined;
    await sleep(everyMs);
  }
}

/** A harness connection to the config store's standby (direct, not through the region's proxy). */
export async function standbyClient(ctx: ScenarioContext): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: ctx.d.configStore!.standbyUrl });
  await c.connect();
  return c;
}

/** Whether the standby shows the key revoked (its replay has applied the revocation's commit). */
export async function revokedOnStandby(c: pg.Client, keyId: string): Promise<boolean> {
  const r = await c.query<{ revoked: boolean }>('select revoked_at is not null as revoked from virtual_keys where id = $1', [keyId]);
  return r.rows[0]?.revoked === true;
}

export const ms = (x: number | undefined): string => (x === undefined ? 'never' : `${x} ms`);

/** When the primary committed the key's last change (track_commit_timestamp), in epoch ms; undefined if unknown. */
export async function committedAt(ctx: ScenarioContext, keyId: string): Promise<number | undefined> {
  const c = new pg.Client({ connectionString: ctx.d.configStore!.primaryUrl });
  await c.connect();
  try {
    const r = await c.query<{ at: string | null }>('select (extract(epoch from pg_xact_commit_timestamp(xmin)) * 1000)::bigint::text as at from virtual_keys where id = $1', [keyId]);
    return r.rows[0]?.at ? Number(r.rows[0].at) : undefined;
  } catch {
    return undefined;
  } finally {
    await c.end();
  }
}
