/**
 * Prometheus metrics of the gateway (prom-client, one registry per process). The lead serves `renderMetrics()`
 * on the ops/admin listener at /metrics, never on the public one.
 *
 * Per-request cost: `observeUsage()` looks up pre-labelled children in a Map (one string key per model and
 * status) and updates them (light-metrics.ts: an array increment, no label hashing); no label objects are
 * built per request. Usage-pipeline gauges (queue depth, spool
 * size, sink health) are read from the recorder at scrape time, not updated per event.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LightCounter, LightHistogram, type LightCounterChild, type LightHistogramChild } from './light-metrics.js';
import type { ChannelObserver, ChannelStats } from '../usage/channel.js';
import type { UsageEvent } from '../usage/event.js';

const LATENCY_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];
const OVERHEAD_S = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1];
const TTFT_S = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

interface ModelChildren {
  latency: LightHistogramChild;
  overhead: LightHistogramChild;
  ttft: LightHistogramChild;
  prompt: LightCounterChild;
  completion: LightCounterChild;
  cached: LightCounterChild;
  cost: LightCounterChild;
  /** `requests_total` children by status, for cache misses and hits (numbers as keys: no string per request). */
  byStatus: Map<number, LightCounterChild>;
  byStatusHit: Map<number, LightCounterChild>;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Request metrics from a usage event (pass as UsageRecorder's `onEvent`). */
  observeUsage(e: UsageEvent): void;
  /** A request refused by admission: `limit` is rpm | tpm | parallel | budget, `scope` key | team | user | model. */
  limitRejected(limit: string, scope: string): void;
  /** An upstream attempt failed (`code` from the catalogue, e.g. upstream_timeout). */
  upstreamError(deployment: string, code: string): void;
  /** Admission decided without Redis: `kind` requests | tokens | parallel | budget, `policy` local | open | closed. */
  limitsFallback(kind: string, policy: string): void;
  /** A Redis call of the limiter failed (`op` admit | settle). */
  limitsRedisError(op: string): void;
  /** The limiter lost (true) or regained (false) Redis. */
  limitsDegraded(on: boolean): void;
  /** A deployment was put in cooldown. */
  cooldown(deployment: string): void;
  /** A request answered 500 internal_error after an unexpected error (`where`: request | error-response | …). */
  internalError(where: string): void;
  /** An error escaped every request boundary (`kind`: uncaughtException | unhandledRejection); should stay 0. */
  uncaughtError(kind: string): void;
  /** Counters for the usage pipeline (pass as UsageRecorder's `observer`). */
  readonly usageObserver: ChannelObserver;
  /** Report queue depths, spool sizes and sink health of a recorder at each scrape. */
  watchUsage(source: { stats(): ChannelStats[] }): void;
}

export interface MetricsOptions {
  /** Metric name prefix. @default 'skyway_' */
  prefix?: string;
  /** Also collect Node process metrics (CPU, memory, event loop lag). @default true */
  processMetrics?: boolean;
  /** Labels on every series, e.g. `{ region: 'eu-west-1' }`. */
  defaultLabels?: Record<string, string>;
}

export function createMetrics(opts: MetricsOptions = {}): GatewayMetrics {
  const p = opts.prefix ?? 'skyway_';
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];

  const requests = new LightCounter(`${p}requests_total`, 'Requests that reached a provider or the response cache, by model and HTTP status.', ['model', 'status', 'cache_hit'], registry);
  const latency = new LightHistogram(`${p}request_duration_seconds`, 'Request received to last byte sent.', ['model'], LATENCY_S, registry);
  const overhead = new LightHistogram(`${p}overhead_duration_seconds`, 'Time spent in the gateway itself (total minus upstream).', ['model'], OVERHEAD_S, registry);
  const ttft = new LightHistogram(`${p}time_to_first_token_seconds`, 'Request received to first byte (first token for streams) sent.', ['model'], TTFT_S, registry);
  const tokens = new LightCounter(`${p}tokens_total`, 'Tokens by model and type (prompt, completion, cached prompt).', ['model', 'type'], registry);
  const cost = new LightCounter(`${p}cost_usd_total`, 'Spend in USD by model.', ['model'], registry);
  const limits = new Counter({ name: `${p}limit_rejections_total`, help: 'Requests refused by admission, by limit and scope.', labelNames: ['limit', 'scope'], registers });
  const limitsFallback = new Counter({ name: `${p}limits_fallback_total`, help: 'Admission decisions made by the failure policy while Redis was unreachable, by limit kind and policy.', labelNames: ['kind', 'policy'], registers });
  const limitsRedisErrors = new Counter({ name: `${p}limits_redis_errors_total`, help: 'Failed Redis calls of the limiter, by operation.', labelNames: ['op'], registers });
  const limitsDegraded = new Gauge({ name: `${p}limits_degraded`, help: '1 while the limiter cannot reach Redis and follows its failure policy.', registers });
  const upstreamErrors = new Counter({ name: `${p}upstream_errors_total`, help: 'Failed upstream attempts by deployment and error code.', labelNames: ['deployment', 'code'], registers });
  const cooldowns = new Counter({ name: `${p}deployment_cooldowns_total`, help: 'Times a deployment was put in cooldown.', labelNames: ['deployment'], registers });
  const internalErrors = new Counter({ name: `${p}internal_errors_total`, help: 'Requests answered 500 internal_error after an unexpected error (each is logged with its stack).', labelNames: ['where'], registers });
  const uncaughtErrors = new Counter({ name: `${p}uncaught_errors_total`, help: 'Errors that escaped every request boundary and reached the process handlers (should stay 0).', labelNames: ['kind'], registers });
  // Present from the first scrape, so a dashboard or test can tell "zero" from "not exported".
  internalErrors.labels('request').inc(0);
  uncaughtErrors.labels('uncaughtException').inc(0);
  uncaughtErrors.labels('unhandledRejection').inc(0);
  const delivered = new Counter({ name: `${p}usage_delivered_rows_total`, help: 'Usage rows delivered, by sink.', labelNames: ['sink'], registers });
  const spooled = new Counter({ name: `${p}usage_spooled_rows_total`, help: 'Usage rows written to the disk spool, by sink.', labelNames: ['sink'], registers });
  const dropped = new Counter({ name: `${p}usage_dropped_rows_total`, help: 'Usage rows lost (should stay 0), by sink and reason.', labelNames: ['sink', 'reason'], registers });
  const failures = new Counter({ name: `${p}usage_sink_failures_total`, help: 'Failed batch deliveries, by sink.', labelNames: ['sink'], registers });

  const sources: { stats(): ChannelStats[] }[] = [];
  const gauge = (name: string, help: string, pick: (s: ChannelStats) => number) =>
    new Gauge({
      name: `${p}${name}`,
      help,
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const src of sources) for (const s of src.stats()) this.inc({ sink: s.sink }, pick(s));
      },
    });
  gauge('usage_queue_rows', 'Usage rows held in memory, by sink.', (s) => s.queuedRows);
  gauge('usage_spool_rows', 'Usage rows waiting in the disk spool, by sink.', (s) => s.spoolRows);
  gauge('usage_spool_bytes', 'Bytes in the disk spool, by sink.', (s) => s.spoolBytes);
  gauge('usage_sink_up', '1 when the sink accepted its last batch.', (s) => (s.healthy ? 1 : 0));

  const byModel = new Map<string, ModelChildren>();
  const children = (model: string): ModelChildren => {
    let c = byModel.get(model);
    if (!c) {
      c = {
        latency: latency.labels(model),
        overhead: overhead.labels(model),
        ttft: ttft.labels(model),
        prompt: tokens.labels(model, 'prompt'),
        completion: tokens.labels(model, 'completion'),
        cached: tokens.labels(model, 'cached'),
        cost: cost.labels(model),
        byStatus: new Map(),
        byStatusHit: new Map(),
      };
      byModel.set(model, c);
    }
    return c;
  };

  return {
    registry,
    observeUsage(e) {
      const c = children(e.model);
      const byStatus = e.cacheHit ? c.byStatusHit : c.byStatus;
      let r = byStatus.get(e.status);
      if (!r) byStatus.set(e.status, (r = requests.labels(e.model, String(e.status), e.cacheHit ? 'true' : 'false')));
      r.inc();
      c.latency.observe(e.latency.totalMs / 1000);
      c.overhead.observe(e.latency.overheadMs / 1000);
      if (e.latency.ttfbMs !== null) c.ttft.observe(e.latency.ttfbMs / 1000);
      if (e.tokens.prompt) c.prompt.inc(e.tokens.prompt);
      if (e.tokens.completion) c.completion.inc(e.tokens.completion);
      if (e.tokens.cached) c.cached.inc(e.tokens.cached);
      if (e.costUsd) c.cost.inc(e.costUsd);
    },
    limitRejected: (limit, scope) => limits.labels(limit, scope).inc(),
    upstreamError: (deployment, code) => upstreamErrors.labels(deployment, code).inc(),
    limitsFallback: (kind, policy) => limitsFallback.labels(kind, policy).inc(),
    limitsRedisError: (op) => limitsRedisErrors.labels(op).inc(),
    limitsDegraded: (on) => limitsDegraded.set(on ? 1 : 0),
    cooldown: (deployment) => cooldowns.labels(deployment).inc(),
    internalError: (where) => internalErrors.labels(where).inc(),
    uncaughtError: (kind) => uncaughtErrors.labels(kind).inc(),
    usageObserver: {
      delivered: (sink, rows) => delivered.labels(sink).inc(rows),
      spooled: (sink, rows) => spooled.labels(sink).inc(rows),
      dropped: (sink, rows, reason) => dropped.labels(sink, reason).inc(rows),
      failed: (sink) => failures.labels(sink).inc(),
    },
    watchUsage: (source) => void sources.push(source),
  };
}

/** The /metrics response: Prometheus text exposition. */
export async function renderMetrics(m: GatewayMetrics): Promise<{ contentType: string; body: string }> {
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}
