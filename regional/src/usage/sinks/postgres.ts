/**
 * Spend aggregates in Postgres. One statement per batch: insert the batch into the `usage_events` ledger
 * (request id primary key, ON CONFLICT DO NOTHING) and add only the rows actually inserted to `spend_daily`
 * (per day, key, team, user, model), grouped so each aggregate row is touched once per batch. A replayed
 * batch inserts nothing and adds nothing. Never one UPDATE per request.
 *
 * Empty strings stand for "no key/team/user" (`key_id` '' is the master key), matching spend_daily's primary key.
 */
import type pg from 'pg';
import { BREAKDOWN_COLUMNS } from '../breakdown-columns.js';
import { costBreakdown, tokenBreakdown, type UsageEvent } from '../event.js';
import type { UsageSink } from '../sink.js';

/** Token kinds and cost parts beyond the totals (issue 16), in the ledger and the aggregates alike. */
const KINDS = BREAKDOWN_COLUMNS;
const KIND_TYPES = KINDS.map((k) => `${k} ${k.endsWith('_usd') ? 'numeric' : 'integer'}`).join(', ');
const COLUMNS = KINDS.join(', ');

const UPSERT = `
with ev as (
  select * from jsonb_to_recordset($1::jsonb) as x(
    request_id text, time timestamptz, key_id text, team_id text, user_id text, model text,
    status smallint, prompt_tokens integer, completion_tokens integer, cost_usd numeric, ${KIND_TYPES})
), ins as (
  insert into usage_events (request_id, time, key_id, team_id, user_id, model, status, prompt_tokens, completion_tokens, cost_usd, ${COLUMNS})
  select request_id, time, key_id, team_id, user_id, model, status, prompt_tokens, completion_tokens, cost_usd, ${COLUMNS} from ev
  on conflict (request_id) do nothing
  returning time, key_id, team_id, user_id, model, prompt_tokens, completion_tokens, cost_usd, ${COLUMNS}
)
insert into spend_daily as s (day, key_id, team_id, user_id, model, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd, ${COLUMNS}, updated_at)
select (time at time zone 'UTC')::date, key_id, team_id, user_id, model,
       count(*), sum(prompt_tokens), sum(completion_tokens), sum(prompt_tokens + completion_tokens), sum(cost_usd),
       ${KINDS.map((k) => `sum(${k})`).join(', ')}, now()
from ins
group by 1, 2, 3, 4, 5
order by 1, 2, 3, 4, 5
on conflict (day, key_id, team_id, user_id, model) do update set
  requests = s.requests + excluded.requests,
  prompt_tokens = s.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = s.completion_tokens + excluded.completion_tokens,
  total_tokens = s.total_tokens + excluded.total_tokens,
  cost_usd = s.cost_usd + excluded.cost_usd,
  ${KINDS.map((k) => `${k} = s.${k} + excluded.${k}`).join(',\n  ')},
  updated_at = now()`;

/** One event as a ledger row (one object per event: this runs for every request's usage). */
function row(e: UsageEvent): Record<string, string | number> {
  const t = tokenBreakdown(e);
  const c = costBreakdown(e);
  return {
    request_id: e.requestId,
    time: new Date(e.time).toISOString(),
    key_id: e.keyId ?? '',
    team_id: e.teamId ?? '',
    user_id: e.userId ?? '',
    model: e.model,
    status: e.status,
    prompt_tokens: e.tokens.prompt,
    completion_tokens: e.tokens.completion,
    cost_usd: e.costUsd,
    cached_tokens: t.cached,
    cache_write_tokens: t.cacheWrite,
    cache_write_1h_tokens: t.cacheWrite1h,
    reasoning_tokens: t.reasoning,
    input_cost_usd: c.input,
    cached_input_cost_usd: c.cachedInput,
    cache_write_cost_usd: c.cacheWrite,
    output_cost_usd: c.output,
    reasoning_cost_usd: c.reasoning,
  } satisfies Record<(typeof KINDS)[number], number> & Record<string, string | number>;
}

export interface PostgresSpendSinkOptions {
  /** Ledger rows older than this are pruned (at most hourly). @default 40 */
  ledgerRetentionDays?: number;
  /** Close the pool on close() (true when the sink created it). @default false */
  ownsPool?: boolean;
}

export class PostgresSpendSink implements UsageSink {
  readonly name = 'postgres';
  private lastPrune = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: PostgresSpendSinkOptions = {},
  ) {}

  async write(batch: readonly UsageEvent[], _signal?: AbortSignal): Promise<void> {
    const rows = batch.map(row);
    await this.pool.query(UPSERT, [JSON.stringify(rows)]);
    if (Date.now() - this.lastPrune > 3_600_000) {
      this.lastPrune = Date.now();
      const days = this.opts.ledgerRetentionDays ?? 40;
      // Bounded so that a large backlog is pruned over several hours, never in one long transaction.
      await this.pool
        .query(
          `delete from usage_events where request_id in
             (select request_id from usage_events where time < now() - make_interval(days => $1) limit 50000)`,
          [days],
        )
        .catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.opts.ownsPool) await this.pool.end();
  }
}

