/** Everything a request handler needs, built once at start. */
import type { Logger } from 'pino';
import type { Admission } from '../admission/index.js';
import type { Authenticator } from '../auth/principal.js';
import type { Settings } from '../config/settings.js';
import type { Inflight } from '../lifecycle/inflight.js';
import type { Heartbeats } from '../stream/heartbeats.js';
import type { UpstreamPools } from '../upstream/pools.js';
import type { PriceLookup } from './admit.js';
import type { ModelCatalog } from './catalog.js';

/** A dependency whose health decides readiness (Postgres, Redis, …). */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export interface Gateway {
  readonly settings: Settings;
  readonly catalog: ModelCatalog;
  readonly auth: Authenticator;
  readonly admission: Admission;
  /** USD per token for a public model name (estimates and settlement). */
  readonly prices: PriceLookup;
  readonly pools: UpstreamPools;
  readonly logger: Logger;
  readonly inflight: Inflight;
  readonly heartbeats: Heartbeats;
  readonly checks: HealthCheck[];
  /** Set when SIGTERM arrived: readiness fails and responses close their connections. */
  draining: boolean;
}
