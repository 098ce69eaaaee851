/**
 * Region health as the regions publish it and the edge reads it: the `regions` entry of the edge KeyValueStore,
 * declared once. Each region's admin role writes its own row every `intervalMs` (regional/src/boot/region-health.ts
 * through edge/publisher); the viewer-request function (edge/function/viewer-request.js, which keeps the literal
 * field names and STALE_SECONDS) chooses among the rows that are up and fresh.
 *
 * A region that cannot publish (its admin task or its whole region is down) cannot say so: its row ages instead,
 * and a row older than `staleAfterSeconds` counts as down. When no row is fresh (the publishers are down, not
 * necessarily the regions) the edge uses the table as last published rather than refusing everything.
 */
export const REGION_HEALTH = {
  /** How often a region publishes its row. */
  intervalMs: 5_000,
  /** A row older than this counts as down (six missed intervals; KVS propagation is "seconds"). */
  staleAfterSeconds: 30,
  /** Window of the request error rate a region publishes. */
  errorWindowSeconds: 60,
  /** A region whose 5xx rate over the window exceeds this marks itself down (with at least `minRequests`). */
  maxErrorRate: 0.5,
  /** Below this many requests in the window the error rate is not trusted. */
  minRequests: 20,
} as const;

/** One region's row in the `regions` KVS entry (short field names: the whole table is one ≤ 1 KB value). */
export interface RegionEntry {
  /** Relative weight (> 0). */
  w: number;
  /** 0 = unhealthy (skipped; pinned keys get 503 home_region_unavailable). */
  up: 0 | 1;
  /** Viewer countries (ISO 3166-1 alpha-2, as in cloudfront-viewer-country) that prefer this region. */
  near?: string[];
  /** CloudFront origin id when it differs from the region name. */
  o?: string;
  /** When the row was published (epoch seconds); absent = a static row that never goes stale. */
  t?: number;
  /** 5xx rate over the last `errorWindowSeconds` (0..1, two decimals), for operators; `up` already reflects it. */
  e?: number;
}

export type RegionTable = Record<string, RegionEntry>;
