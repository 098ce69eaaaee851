/**
 * The console's request views beyond the search: one request's detail (latency breakdown, tokens, cost,
 * attempts and fallbacks, the region, and its prompt and response when the key archives payloads) and the
 * overview's time series (server-side buckets, see request-series.ts).
 */
import type pg from 'pg';
import { z } from 'zod';
import { InvalidRequest, ResourceNotFound } from '../../errors/catalogue.js';
import type { AdminRole } from '../auth.js';
import { defineRoute, type Route } from '../route.js';
import type { RequestArchive } from './request-archive.js';
import type { RequestDetailRow, RequestLogSource } from './request-log-source.js';
import { rowSeconds, type Bucket } from './request-series.js';

export interface RequestRouteServices {
  db: pg.Pool;
  requestLog: RequestLogSource;
  /** The payload archive; undefined when none is configured. */
  archive: RequestArchive | undefined;
}

const day = z.string().regex(/^\d{4}-\d\d-\d\d$/, 'a UTC day, YYYY-MM-DD');

const Attempt = z.object({ deployment: z.string(), model: z.string(), status: z.number().describe('Upstream HTTP status; 0 = no response'), error_code: z.string().nullable(), duration_ms: z.number() }).meta({ id: 'RequestAttempt' });
const Payload = z
  .object({
    state: z.enum(['shown', 'not_archived', 'not_found', 'hidden', 'unavailable']),
    reason: z.string().describe('Why the bodies are or are not shown'),
    request: z.unknown().optional(),
    response: z.unknown().optional(),
  })
  .meta({ id: 'RequestPayload' });
const Detail = z
  .object({
    object: z.literal('request'),
    request_id: z.string(),
    time: z.string(),
    key_id: z.string(),
    team_id: z.string(),
    model: z.string(),
    deployment: z.string(),
    region: z.string().optional(),
    status: z.number(),
    error_code: z.string(),
    latency: z.object({ total_ms: z.number(), overhead_ms: z.number(), upstream_ms: z.number(), ttfb_ms: z.number().nullable() }),
    tokens: z.record(z.string(), z.number()).describe('Every *_tokens column recorded for the request (prompt, completion, cached, and newer ones)'),
    cost_usd: z.number(),
    attempts: z.number(),
    attempt_log: z.array(Attempt).nullable().describe('Each upstream attempt in order; null for requests logged before attempts were recorded'),
    fallback_model: z.string().nullable().describe('The model that answered when it was not the one asked for'),
    payload: Payload,
    source: z.string(),
  })
  .passthrough()
  .meta({ id: 'RequestDetail' });

const SeriesQuery = z.strictObject({
  from: day.optional().describe('First UTC day (inclusive); default 6 days before `to`'),
  to: day.optional().describe('Last UTC day (inclusive); default today'),
  bucket: z.enum(['auto', 'hour', 'day']).default('auto').describe('auto: hours for up to 2 days, else days'),
  group_by: z.enum(['model', 'team']).default('model'),
  top: z.coerce.number().int().min(1).max(20).default(8),
  key_id: z.string().max(128).optional(),
  team_id: z.string().max(128).optional(),
  model: z.string().max(256).optional(),
});
const nums = z.array(z.number());
const maybe = z.array(z.number().nullable());
const Series = z
  .object({
    object: z.literal('request_series'), from: z.string(), to: z.string(), bucket: z.enum(['hour', 'day']), bucket_seconds: z.number(), group_by: z.string(),
    t: nums.describe('Bucket starts, epoch seconds (UTC)'),
    totals: z.object({ requests: nums, errors: nums, error_rate: maybe, p50_ms: maybe, p95_ms: maybe, p50_overhead_ms: maybe, p95_overhead_ms: maybe, total_tokens: nums, cost_usd: nums }),
    groups: z.array(z.object({ group: z.string(), requests: nums, total_tokens: nums, cost_usd: nums })),
  })
  .meta({ id: 'RequestSeries' });

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const MAX_HOUR_DAYS = 31;

/** Whether the key (or, unset there, its team) archives payloads now; undefined when the key is unknown. */
async function archivesPayloads(db: pg.Pool, keyId: string): Promise<boolean | undefined> {
  const r = await db.query('select coalesce(k.archive_payloads, t.archive_payloads, false) as on from virtual_keys k left join teams t on t.id = k.team_id where k.id = $1', [keyId]);
  return r.rows[0] ? (r.rows[0] as { on: boolean }).on : undefined;
}

async function payloadOf(s: RequestRouteServices, row: RequestDetailRow, role: AdminRole): Promise<z.infer<typeof Payload>> {
  if (!row.key_id) return { state: 'not_archived', reason: 'Requests made with the master key are never archived with their bodies.' };
  if (role !== 'admin') return { state: 'hidden', reason: 'Only administrators see archived prompts and responses.' };
  if ((await archivesPayloads(s.db, row.key_id)) === false) {
    return { state: 'not_archived', reason: 'This key does not archive payloads (archive_payloads is off for the key and its team), so its prompts and responses are not kept.' };
  }
  if (!s.archive) return { state: 'unavailable', reason: 'No payload archive is configured (SKYWAY_S3_BUCKET).' };
  const region = typeof row.region === 'string' ? row.region : '';
  try {
    const hit = await s.archive.find(row.request_id, rowSeconds(row.time) * 1000, region);
    if (hit.found && hit.payload) return { state: 'shown', reason: `From the payload archive (${s.archive.location}), redacted.`, request: hit.payload.request, response: hit.payload.response };
    if (hit.found) return { state: 'not_archived', reason: 'The archived event carries no bodies: the key did not archive payloads when the request was made.' };
    return {
      state: 'not_found',
      reason: hit.truncated
        ? `Not found in the first ${hit.objectsRead} archive objects of its hour; the hour holds more than the console reads.`
        : 'Not in the payload archive (yet): it is written in batches about once a second.',
    };
  } catch (err) {
    return { state: 'unavailable', reason: `The payload archive could not be read: ${(err as Error).message}` };
  }
}

export function requestRoutes(s: RequestRouteServices): Route[] {
  return [
    defineRoute({
      method: 'GET', path: '/admin/overview/series', tag: 'spend',
      summary: 'Requests, errors, p50/p95 latency and overhead, tokens and spend per hour or UTC day, with requests, tokens and spend per model or team, from the request log',
      query: SeriesQuery, response: Series,
      handler: async ({ query }) => {
        const to = query.to ?? isoDay(Date.now());
        const from = query.from ?? isoDay(Date.parse(to) - 6 * 86_400_000);
        if (from > to) throw new InvalidRequest('`from` is after `to`.', 'from');
        const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
        const bucket: Bucket = query.bucket === 'auto' ? (days <= 2 ? 'hour' : 'day') : query.bucket;
        if (bucket === 'hour' && days > MAX_HOUR_DAYS) throw new InvalidRequest(`Hourly buckets cover at most ${MAX_HOUR_DAYS} days.`, 'bucket');
        if (days > 400) throw new InvalidRequest('The period covers at most 400 days.', 'from');
        const f = { from, to, key_id: query.key_id, team_id: query.team_id, model: query.model };
        return { body: await s.requestLog.series(f, { bucket, groupBy: query.group_by, top: query.top }) };
      },
    }),
    defineRoute({
      method: 'GET', path: '/admin/requests/{id}', tag: 'requests',
      summary: "One request: latency breakdown, tokens, cost, status, attempts and fallbacks, region; its prompt and response (admins only) when the key archives payloads",
      query: z.strictObject({ day: day.optional().describe('The UTC day of the request (narrows the search)') }), response: Detail,
      handler: async ({ params, query, identity }) => {
        const row = await s.requestLog.get(params.id!, query.day);
        if (!row) throw new ResourceNotFound('request', params.id!);
        const tokens: Record<string, number> = {};
        for (const [k, v] of Object.entries(row)) if (k.endsWith('_tokens') && typeof v === 'number') tokens[k.slice(0, -'_tokens'.length)] = v;
        const log = row.attempt_log;
        const served = log?.length ? log[log.length - 1]!.model : null;
        return {
          body: {
            ...row,
            object: 'request',
            latency: { total_ms: row.total_ms, overhead_ms: row.overhead_ms, upstream_ms: row.upstream_ms, ttfb_ms: row.ttfb_ms },
            tokens,
            fallback_model: served && served !== row.model ? served : null,
            payload: await payloadOf(s, row, identity.role),
            source: s.requestLog.name,
          },
        };
      },
    }),
  ];
}
