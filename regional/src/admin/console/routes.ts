/**
 * Admin routes the console needs beyond the CRUD API: the session (sign in with the master key or an OIDC token,
 * who am I, sign out), spend over time, an overview of a period, and the request log search.
 */
import type pg from 'pg';
import { z } from 'zod';
import type { AdminAuthenticator, AdminIdentity } from '../auth.js';
import { defineRoute, type Route } from '../route.js';
import type { RequestLogSource } from './request-log-source.js';
import type { ConsoleSessions } from './session.js';
import { spendSeries } from './spend-series.js';

export interface ConsoleServices {
  /** The config store. */
  db: pg.Pool;
  /** The regional store (spend aggregates); default `db` (one database). */
  regionalDb?: pg.Pool | undefined;
  /** The request log (ClickHouse or the local NDJSON files). */
  requestLog: RequestLogSource;
  sessions: ConsoleSessions;
  authenticate: AdminAuthenticator;
}

const day = z.string().regex(/^\d{4}-\d\d-\d\d$/, 'a UTC day, YYYY-MM-DD');
const id = z.string().min(1).max(128);

const SignIn = z.strictObject({ credential: z.string().min(1).max(8192).describe('The master key, or an OIDC access/ID token from the configured issuer') }).meta({ id: 'ConsoleSignIn' });
const Session = z
  .object({
    object: z.literal('console_session'),
    actor: z.string(),
    actor_kind: z.string(),
    role: z.enum(['admin', 'viewer', 'member']),
    team_id: z.string().nullable().describe('For members: the only team they see'),
    expires_at: z.string().nullable(),
    csrf_token: z.string().nullable().describe('Send it as x-skyway-csrf with every request that the session cookie authenticates'),
  })
  .meta({ id: 'ConsoleSession' });
const SignedOut = z.object({ object: z.literal('console_session'), signed_out: z.literal(true) });

const Range = { from: day.optional().describe('First UTC day (inclusive); default 29 days before `to`'), to: day.optional().describe('Last UTC day (inclusive); default today') };
const SeriesQuery = z.strictObject({ ...Range, group_by: z.enum(['model', 'team', 'key']).default('model'), team_id: id.optional(), key_id: id.optional(), top: z.coerce.number().int().min(1).max(20).default(8) });
const Series = z
  .object({ object: z.literal('spend_series'), group_by: z.string(), from: z.string(), to: z.string(), days: z.array(z.string()), series: z.array(z.object({ group: z.string(), cost_usd: z.array(z.number()), requests: z.array(z.number()), total_tokens: z.array(z.number()) })) })
  .meta({ id: 'SpendSeries' });
const RequestQuery = z.strictObject({
  ...Range,
  key_id: id.optional(),
  team_id: id.optional(),
  model: z.string().max(256).optional(),
  status: z.string().regex(/^(ok|error|\d{3})$/, 'ok, error or an HTTP status').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().regex(/^\d+$/).optional().describe('Opaque: next_cursor of the previous page'),
});
const RequestRow = z.object({ request_id: z.string(), time: z.string(), key_id: z.string(), team_id: z.string(), model: z.string(), status: z.number(), error_code: z.string(), total_ms: z.number(), overhead_ms: z.number(), upstream_ms: z.number(), ttfb_ms: z.number().nullable(), prompt_tokens: z.number(), completion_tokens: z.number(), cost_usd: z.number(), attempts: z.number(), stream: z.boolean() }).passthrough().meta({ id: 'RequestLogRow' });
const RequestPage = z.object({ object: z.literal('list'), data: z.array(RequestRow), has_more: z.boolean(), next_cursor: z.string().nullable(), source: z.string(), truncated: z.boolean() }).meta({ id: 'RequestLogPage' });
const Group = z.object({ group: z.string(), requests: z.number(), total_tokens: z.number(), cost_usd: z.number() });
const Overview = z
  .object({
    object: z.literal('overview'),
    from: z.string(),
    to: z.string(),
    spend: z.object({ requests: z.number(), prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number(), cost_usd: z.number() }),
    by_model: z.array(Group),
    by_team: z.array(Group),
    requests: z.object({ count: z.number(), errors: z.number(), error_rate: z.number().nullable(), p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), p50_overhead_ms: z.number().nullable(), p95_overhead_ms: z.number().nullable(), source: z.string() }),
  })
  .meta({ id: 'Overview' });

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function range(q: { from?: string | undefined; to?: string | undefined }): { from: string; to: string } {
  const to = q.to ?? isoDay(Date.now());
  return { from: q.from ?? isoDay(Date.parse(to) - 29 * 86_400_000), to };
}

const SUMS = `coalesce(sum(requests),0)::float8 as requests, coalesce(sum(total_tokens),0)::float8 as total_tokens, coalesce(sum(cost_usd),0)::float8 as cost_usd`;

export function consoleRoutes(s: ConsoleServices): Route[] {
  const sessionBody = (identity: AdminIdentity, exp: number | null, csrf: string | null) => ({
    object: 'console_session' as const,
    actor: identity.actor.id,
    actor_kind: identity.actor.kind,
    role: identity.role,
    team_id: identity.teamId ?? null,
    expires_at: exp === null ? null : new Date(exp * 1000).toISOString(),
    csrf_token: csrf,
  });
  return [
    defineRoute({
      method: 'POST', path: '/admin/session', tag: 'console', summary: 'Sign in to the console: sets an HttpOnly, SameSite=Strict session cookie and returns its CSRF token', body: SignIn, public: true, response: Session,
      handler: async ({ body }) => {
        const identity = await s.authenticate(`Bearer ${body.credential}`);
        const { token, csrf, claims } = s.sessions.issue(identity);
        return { body: sessionBody(identity, claims.exp, csrf), headers: { 'set-cookie': s.sessions.setCookie(token) } };
      },
    }),
    defineRoute({
      method: 'GET', path: '/admin/session', tag: 'console', summary: 'The signed-in identity (and, for a cookie session, its CSRF token)', csrfExempt: true, response: Session,
      handler: async ({ identity, sessionCookie }) => {
        const claims = s.sessions.verify(sessionCookie);
        return { body: sessionBody(identity, claims?.exp ?? null, claims ? s.sessions.csrfOf(claims) : null) };
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/admin/session', tag: 'console', summary: 'Sign out (clears the session cookie)', public: true, response: SignedOut,
      handler: async () => ({ body: { object: 'console_session', signed_out: true }, headers: { 'set-cookie': s.sessions.clearCookie() } }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/spend/series', tag: 'spend', summary: 'Spend per UTC day for the top models, teams or keys (the rest as `other`), from the aggregates', query: SeriesQuery, response: Series,
      handler: async ({ query }) => ({ body: await spendSeries(s.regionalDb ?? s.db, { ...query, ...range(query) }) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/requests', tag: 'requests', summary: 'Search the request log (newest first) by key, team, model, status and UTC days', query: RequestQuery, response: RequestPage,
      handler: async ({ query }) => {
        const start = Number(query.cursor ?? 0);
        const page = await s.requestLog.search({ ...range(query), key_id: query.key_id, team_id: query.team_id, model: query.model, status: query.status }, { limit: query.limit, offset: start });
        return { body: { object: 'list', data: page.rows, has_more: page.hasMore, next_cursor: page.hasMore ? String(start + query.limit) : null, source: s.requestLog.name, truncated: page.truncated } };
      },
    }),
    defineRoute({
      method: 'GET', path: '/admin/overview', tag: 'spend', summary: 'Requests, errors, latency, tokens and spend for a period, by model and by team', query: z.strictObject(Range), response: Overview,
      handler: async ({ query }) => {
        const r = range(query);
        const where = 'day between $1::date and $2::date';
        const total = (await (s.regionalDb ?? s.db).query(`select ${SUMS}, coalesce(sum(prompt_tokens),0)::float8 as prompt_tokens, coalesce(sum(completion_tokens),0)::float8 as completion_tokens from spend_daily where ${where}`, [r.from, r.to])).rows[0];
        const by = async (col: string) =>
          (await (s.regionalDb ?? s.db).query(`select coalesce(${col}, '') as group, ${SUMS} from spend_daily where ${where} group by 1 order by cost_usd desc, 1 limit 10`, [r.from, r.to])).rows as Array<z.infer<typeof Group>>;
        const st = await s.requestLog.stats(r);
        return {
          body: {
            object: 'overview', ...r, spend: total, by_model: await by('model'), by_team: await by('team_id'),
            requests: { ...st, error_rate: st.count ? st.errors / st.count : null, source: s.requestLog.name },
          },
        };
      },
    }),
  ];
}
