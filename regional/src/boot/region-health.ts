/**
 * The admin role's region-health publisher: every REGION_HEALTH.intervalMs it asks whether this region's api
 * service can serve (its readiness endpoint, through the same load balancer CloudFront uses) and how many of the
 * region's recent requests failed (5xx share of the usage ledger), and writes this region's row of the edge KVS
 * `regions` entry with the publication time. The viewer-request function moves traffic away from a row that is
 * down or stale (shared/contract/region-health.ts).
 *
 * A region that is wholly down cannot publish "down": its row goes stale and the edge treats it as down after
 * `staleAfterSeconds`. A region whose api service is down but whose admin task runs publishes `up: 0` within one
 * interval, which is the faster path.
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import type { RegionHealth } from '../../../edge/publisher/publisher.js';
import { ORIGIN_VERIFY_HEADER } from '../../../shared/contract/headers.js';
import { HEALTH_PATHS } from '../../../shared/contract/ports.js';
import { REGION_HEALTH } from '../../../shared/contract/region-health.js';

/** Requests and 5xx answers in the last window. */
export interface ErrorCounts {
  requests: number;
  errors: number;
}

export interface RegionHealthOptions {
  /** This region's name (SKYWAY_REGION): the row's key in the table. */
  region: string;
  publisher: { setRegionHealth(region: string, health: RegionHealth): Promise<void> };
  /** Whether the region's api service answers its readiness check. */
  ready: () => Promise<boolean>;
  /** Recent request outcomes; undefined when unknown (then only readiness counts). */
  errors?: () => Promise<ErrorCounts | undefined>;
  /** @default 1 */
  weight?: number;
  /** Viewer countries that prefer this region. */
  near?: string[];
  /** CloudFront origin id of this region. @default the region name */
  originId?: string;
  /** @default REGION_HEALTH.intervalMs */
  intervalMs?: number;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Epoch milliseconds (tests). */
  now?: () => number;
}

/** The decision on one sample: ready, and not failing more than the contract's share of enough requests. */
export function isHealthy(ready: boolean, counts: ErrorCounts | undefined): boolean {
  if (!ready) return false;
  if (!counts || counts.requests < REGION_HEALTH.minRequests) return true;
  return counts.errors / counts.requests <= REGION_HEALTH.maxErrorRate;
}

export interface RegionHealthReporter {
  /** Sample and publish once (also what the timer runs). Resolves with what was published. */
  publishOnce(): Promise<RegionHealth>;
  stop(): void;
}

/**
 * Starts publishing (the first row at once).
 *
 * @example startRegionHealth({ region: 'eu-west-1', publisher, ready: readinessProbe(url, ov), errors: ledgerErrors(db), logger })
 */
export function startRegionHealth(opts: RegionHealthOptions): RegionHealthReporter {
  const now = opts.now ?? Date.now;
  let last: boolean | undefined;
  const publishOnce = async (): Promise<RegionHealth> => {
    const [ready, counts] = await Promise.all([opts.ready().catch(() => false), opts.errors ? opts.errors().catch(() => undefined) : Promise.resolve(undefined)]);
    const healthy = isHealthy(ready, counts);
    const health: RegionHealth = { healthy, weight: opts.weight ?? 1, originId: opts.originId ?? opts.region, at: Math.floor(now() / 1000) };
    if (opts.near?.length) health.near = opts.near;
    if (counts && counts.requests > 0) health.errorRate = counts.errors / counts.requests;
    await opts.publisher.setRegionHealth(opts.region, health);
    if (healthy !== last) (healthy ? opts.logger.info : opts.logger.warn).call(opts.logger, { region: opts.region, ready, ...counts }, healthy ? 'region published as healthy' : 'region published as unhealthy');
    last = healthy;
    return health;
  };
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return; // a slow KVS call: skip this beat rather than pile up
    running = publishOnce()
      .catch((err: unknown) => opts.logger.warn({ err, region: opts.region }, 'could not publish region health'))
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs ?? REGION_HEALTH.intervalMs);
  timer.unref();
  return { publishOnce, stop: () => clearInterval(timer) };
}

/** Readiness of the api service at `baseUrl`, asked the way CloudFront asks (with the origin-verify header). */
export function readinessProbe(baseUrl: string, originVerifySecret: string | undefined, timeoutMs = 2_000): () => Promise<boolean> {
  const url = new URL(HEALTH_PATHS.readiness, baseUrl).toString();
  const headers: Record<string, string> = originVerifySecret ? { [ORIGIN_VERIFY_HEADER]: originVerifySecret } : {};
  return async () => {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200;
  };
}

/** 5xx share of this region's usage ledger over the contract's window (each region writes its own events). */
export function ledgerErrors(db: pg.Pool): () => Promise<ErrorCounts> {
  return async () => {
    const { rows } = await db.query<ErrorCounts>(
      `select count(*)::int as requests, (count(*) filter (where status >= 500))::int as errors
       from usage_events where time > now() - make_interval(secs => $1)`,
      [REGION_HEALTH.errorWindowSeconds],
    );
    return rows[0] ?? { requests: 0, errors: 0 };
  };
}
