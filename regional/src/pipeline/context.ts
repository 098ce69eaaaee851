/** Everything a request handler needs, built once at start. */
import type { Logger } from 'pino';
import type { Admission } from '../admission/index.js';
import type { ResponseCache } from '../cache/index.js';
import type { Authenticator } from '../auth/principal.js';
import type { Settings } from '../config/settings.js';
import type { Inflight } from '../lifecycle/inflight.js';
import type { Heartbeats } from '../stream/heartbeats.js';
import type { UpstreamPools } from '../upstream/pools.js';
import type { PriceBook } from '../pricing/index.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { UsageEvent } from '../usage/event.js';
import type { ModelCatalog } from '../routing/catalog.js';
import type { ErrorBoundary } from './error-boundary.js';
import type { ResponseStore } from '../ingress/responses/store.js';

/** A dependency whose health decides readiness (Postgres, Redis, …). */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
  /** The gateway keeps serving without it (under a failure policy): a failure reads "degraded", not 503. */
  degradable?: boolean;
}

export interface Gateway {
  readonly settings: Settings;
  readonly catalog: ModelCatalog;
  readonly auth: Authenticator;
  readonly admission: Admission;
  /** Model prices: request cost from usage, and the worst-case estimate admission reserves. */
  readonly prices: PriceBook;
  /** USD per 1M tokens to reserve for a model before a deployment is chosen (the priciest deployment's). */
  estimatePrice(model: string): { input: number; output: number; perImage?: Readonly<Record<string, number>> } | undefined;
  /** The usage pipeline (spend, traces, archive); record() never blocks or throws. */
  readonly usage: { record(e: UsageEvent): void } | undefined;
  readonly metrics: GatewayMetrics | undefined;
  /** Exact-match response cache for models that enable it (Redis with REDIS_URL, else in process). */
  readonly cache: ResponseCache | undefined;
  /** Stored Responses API responses (Postgres with DATABASE_URL, else in process). */
  readonly responses?: ResponseStore;
  readonly pools: UpstreamPools;
  readonly logger: Logger;
  readonly inflight: Inflight;
  readonly heartbeats: Heartbeats;
  readonly checks: HealthCheck[];
  /** Logs, counts and answers errors nobody expected (500 internal_error for that request only). */
  readonly boundary: ErrorBoundary;
  /** Set when SIGTERM arrived: readiness fails and responses close their connections. */
  draining: boolean;
}
