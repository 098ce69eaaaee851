/**
 * Shapes derived from a usage event, shared by the sinks: the request-log row, the GenAI span (OpenTelemetry
 * GenAI semantic conventions, `gen_ai.*`) and deterministic ids. Derivations are pure, so a replayed event
 * produces byte-identical rows, span ids and batch tokens.
 */
import { hash } from 'node:crypto';
import { costBreakdown, tokenBreakdown, type UsageEvent } from './event.js';

/** A token naming a batch by its contents: the same batch always gets the same token (dedup, object keys). */
export function batchToken(batch: readonly UsageEvent[]): string {
  // sha256 of every id followed by a newline: one native call for the batch, not two per event.
  let ids = '';
  for (const e of batch) ids += e.requestId + '\n';
  return hash('sha256', ids, 'hex').slice(0, 32);
}

/** W3C ids for the request's span: the client's trace id when it sent one, else derived from the request id. */
export function spanIds(e: UsageEvent): { traceId: string; spanId: string } {
  const h = hash('sha256', 'skyway:' + e.requestId, 'hex');
  const traceId = e.traceId && /^[0-9a-f]{32}$/.test(e.traceId) ? e.traceId : h.slice(0, 32);
  return { traceId, spanId: h.slice(32, 48) };
}

/** `YYYY-MM-DD hh:mm:ss.fff` in UTC: what ClickHouse DateTime64 parses from JSON. */
export function chDateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) + ' ' + iso.slice(11, 23);
}

const OPERATION: Record<string, string> = { chat: 'chat', completions: 'text_completion', embeddings: 'embeddings' };
const PROVIDER: Record<string, string> = {
  bedrock: 'aws.bedrock',
  azure: 'azure.ai.openai',
  gemini: 'gcp.gemini',
  vertex: 'gcp.vertex_ai',
  mistral: 'mistral_ai',
};

/** `gen_ai.operation.name` of an operation. */
export function spanOperation(operation: string): string {
  return OPERATION[operation] ?? operation;
}

/** `gen_ai.provider.name` of a provider adapter's name. */
export function spanProvider(provider: string): string {
  return PROVIDER[provider] ?? provider;
}

export type AttrValue = string | number | boolean;

/** One span per request, as the gateway saw its inference call. */
export interface GenAiSpan {
  traceId: string;
  spanId: string;
  name: string;
  /** Start, epoch ms (may carry a fraction). */
  startMs: number;
  durationMs: number;
  error: boolean;
  statusMessage: string;
  attributes: Record<string, AttrValue>;
  resource: Record<string, AttrValue>;
}

export function genAiSpan(e: UsageEvent, serviceName: string, ids = spanIds(e)): GenAiSpan {
  const { traceId, spanId } = ids;
  const op = spanOperation(e.operation);
  const t = tokenBreakdown(e);
  const a: Record<string, AttrValue> = {
    'gen_ai.operation.name': op,
    'gen_ai.request.model': e.model,
    'gen_ai.usage.input_tokens': t.prompt,
    'gen_ai.usage.output_tokens': t.completion,
    'gen_ai.usage.cache_read.input_tokens': t.cached,
    'gen_ai.usage.cache_creation.input_tokens': t.cacheWrite,
    'skyway.usage.reasoning_tokens': t.reasoning,
    'http.response.status_code': e.status,
    'skyway.request_id': e.requestId,
    'skyway.key_id': e.keyId ?? '',
    'skyway.team_id': e.teamId ?? '',
    'skyway.user_id': e.userId ?? '',
    'skyway.cost_usd': e.costUsd,
    'skyway.cache_hit': e.cacheHit,
    'skyway.attempts': e.attempts,
    'skyway.stream': e.stream,
    'skyway.latency.overhead_ms': e.latency.overheadMs,
    'skyway.latency.upstream_ms': e.latency.upstreamMs,
  };
  if (e.provider) a['gen_ai.provider.name'] = spanProvider(e.provider);
  if (e.upstreamModel) a['gen_ai.response.model'] = e.upstreamModel;
  if (e.deployment) a['skyway.deployment'] = e.deployment;
  if (e.latency.ttfbMs !== null) a['skyway.latency.ttfb_ms'] = e.latency.ttfbMs;
  if (e.errorCode) a['error.type'] = e.errorCode;
  if (t.cacheWrite1h) a['skyway.usage.cache_write_1h_tokens'] = t.cacheWrite1h;
  if (e.costByKind) {
    const c = e.costByKind;
    a['skyway.cost.input_usd'] = c.input;
    a['skyway.cost.cached_input_usd'] = c.cachedInput;
    a['skyway.cost.cache_write_usd'] = c.cacheWrite;
    a['skyway.cost.output_usd'] = c.output;
    a['skyway.cost.reasoning_usd'] = c.reasoning;
  }
  // The attempts (deployment, model, status, error, duration) as JSON: the console's request detail reads it.
  if (e.attemptLog?.length) a['skyway.attempt_log'] = JSON.stringify(e.attemptLog);
  return {
    traceId,
    spanId,
    name: `${op} ${e.model}`,
    startMs: e.time,
    durationMs: e.latency.totalMs,
    error: e.status >= 400,
    statusMessage: e.errorCode ?? '',
    attributes: a,
    resource: { 'service.name': serviceName, 'cloud.provider': 'aws', 'cloud.region': e.region },
  };
}

/** Row of the ClickHouse `request_log` table (and of the embedded NDJSON files). */
export function requestLogRow(e: UsageEvent, ids = spanIds(e)): Record<string, unknown> {
  const t = tokenBreakdown(e);
  const c = costBreakdown(e);
  return {
    request_id: e.requestId,
    time: chDateTime(e.time),
    key_id: e.keyId ?? '',
    team_id: e.teamId ?? '',
    user_id: e.userId ?? '',
    model: e.model,
    deployment: e.deployment ?? '',
    provider: e.provider ?? '',
    upstream_model: e.upstreamModel ?? '',
    region: e.region,
    operation: e.operation,
    status: e.status,
    error_code: e.errorCode ?? '',
    total_ms: e.latency.totalMs,
    overhead_ms: e.latency.overheadMs,
    upstream_ms: e.latency.upstreamMs,
    ttfb_ms: e.latency.ttfbMs,
    prompt_tokens: t.prompt,
    completion_tokens: t.completion,
    cached_tokens: t.cached,
    cache_write_tokens: t.cacheWrite,
    cache_write_1h_tokens: t.cacheWrite1h,
    reasoning_tokens: t.reasoning,
    cost_usd: e.costUsd,
    input_cost_usd: c.input,
    cached_input_cost_usd: c.cachedInput,
    cache_write_cost_usd: c.cacheWrite,
    output_cost_usd: c.output,
    reasoning_cost_usd: c.reasoning,
    cache_hit: e.cacheHit,
    attempts: e.attempts,
    stream: e.stream,
    trace_id: ids.traceId,
  };
}

function stringMap(o: Record<string, AttrValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in o) out[k] = String(o[k]);
  return out;
}

/** Row of the ClickHouse `traces` table (the column layout of the OpenTelemetry collector's exporter). */
export function traceRow(s: GenAiSpan, requestId: string): Record<string, unknown> {
  const whole = Math.floor(s.startMs);
  const nanos = Math.round((s.startMs - whole) * 1e6).toString().padStart(6, '0');
  return {
    Timestamp: chDateTime(whole) + nanos,
    TraceId: s.traceId,
    SpanId: s.spanId,
    ParentSpanId: '',
    TraceState: '',
    SpanName: s.name,
    SpanKind: 'Client',
    ServiceName: String(s.resource['service.name']),
    ResourceAttributes: stringMap(s.resource),
    ScopeName: 'skyway.usage',
    ScopeVersion: '1',
    SpanAttributes: stringMap(s.attributes),
    Duration: Math.round(s.durationMs * 1e6),
    StatusCode: s.error ? 'Error' : 'Ok',
    StatusMessage: s.statusMessage,
    RequestId: requestId,
  };
}
