/**
 * Issue 16: the usage ledger and the daily spend aggregates carry every token kind and the cost per kind.
 * Token kinds are sub-counts of `prompt_tokens` (cached read, cache write, of which 1-hour writes) and of
 * `completion_tokens` (reasoning); the cost columns partition `cost_usd` (uncached input, cached input, cache
 * writes, non-reasoning output, reasoning). Defaults of 0 let rows written before this migration still read:
 * for them only the totals are known.
 *
 * Regional store (usage tables), like 1732000100000_usage-events.
 */
import type { MigrationBuilder } from 'node-pg-migrate';

const TOKENS = ['cached_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens'] as const;
const COSTS = ['input_cost_usd', 'cached_input_cost_usd', 'cache_write_cost_usd', 'output_cost_usd', 'reasoning_cost_usd'] as const;

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.addColumns('usage_events', {
    ...Object.fromEntries(TOKENS.map((c) => [c, { type: 'integer', notNull: true, default: 0 }])),
    ...Object.fromEntries(COSTS.map((c) => [c, { type: 'numeric(18,8)', notNull: true, default: 0 }])),
  });
  pgm.addColumns('spend_daily', {
    ...Object.fromEntries(TOKENS.map((c) => [c, { type: 'bigint', notNull: true, default: 0 }])),
    ...Object.fromEntries(COSTS.map((c) => [c, { type: 'numeric(18,8)', notNull: true, default: 0 }])),
  });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropColumns('spend_daily', [...TOKENS, ...COSTS]);
  pgm.dropColumns('usage_events', [...TOKENS, ...COSTS]);
}
