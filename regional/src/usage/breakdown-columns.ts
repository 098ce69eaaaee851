/**
 * The usage breakdown columns (issue 16: cached, cache-write and reasoning tokens, and the cost of each token
 * kind): the Postgres spend sink writes them to `usage_events` and `spend_daily` (migration 1734400000001), the
 * spend report sums them, the console's request log reads them from request-log rows. One list for all three,
 * so a new kind is added in one place.
 */
export const BREAKDOWN_COLUMNS = [
  'cached_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens',
  'input_cost_usd', 'cached_input_cost_usd', 'cache_write_cost_usd', 'output_cost_usd', 'reasoning_cost_usd',
] as const;

export type BreakdownColumn = (typeof BREAKDOWN_COLUMNS)[number];

/** One number per breakdown column. */
export type Breakdown = Record<BreakdownColumn, number>;
