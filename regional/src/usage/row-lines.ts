/**
 * The NDJSON lines of the embedded ClickHouse files, built straight from the event: the same bytes as
 * `JSON.stringify(requestLogRow(e))` and `JSON.stringify(traceRow(genAiSpan(e, service), e.requestId))`
 * (row-lines.test.ts compares them on every kind of event), without the row, span, attribute and string-map
 * objects in between, and with the span ids (a sha256) computed once per event for both lines.
 *
 * JSON.stringify's rules are kept for odd events too (fields missing from an old spooled event are left out of
 * the request-log line and read "undefined" in span attributes, as the object path writes them).
 */
import { flatString, jsonNumber, jsonString, jsonValue, numberText } from '../logging/json-text.js';
import { costBreakdown, tokenBreakdown, type UsageEvent } from './event.js';
import { chDateTime, requestLogRow, spanIds, spanOperation, spanProvider } from './rows.js';

/** `,"key":value`, or nothing when JSON.stringify would leave the field out. */
function field(prefix: string, v: unknown): string {
  const json = jsonValue(v);
  return json === undefined ? '' : prefix + json;
}

/** A span attribute's value: its String() as a JSON string (the `traces` table's Map(String, String)). */
const attr = (v: unknown): string =>
  typeof v === 'string'
    ? jsonString(v)
    : typeof v === 'number'
      ? '"' + (Number.isFinite(v) ? numberText(v) : String(v)) + '"'
      : typeof v === 'boolean'
        ? '"' + v + '"'
        : jsonString(String(v));

let cachedSecond = NaN;
let cachedPrefix = '';
/** chDateTime for whole epoch ms, one Date per second of events instead of one per row. */
function dateTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) return chDateTime(ms); // not 4-digit years: the general path
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSecond) {
    const iso = new Date(sec * 1000).toISOString();
    cachedPrefix = iso.slice(0, 10) + ' ' + iso.slice(11, 20);
    cachedSecond = sec;
  }
  const frac = ms - sec * 1000;
  return cachedPrefix + (frac < 10 ? '00' : frac < 100 ? '0' : '') + frac;
}

/** Ids computed once per event and passed to both lines. */
export type SpanIds = ReturnType<typeof spanIds>;

/** One line of `request_log` (no newline): `JSON.stringify(requestLogRow(e))`. */
export function requestLogLine(e: UsageEvent, ids: SpanIds = spanIds(e)): string {
  const t = tokenBreakdown(e);
  const c = costBreakdown(e);
  const l = e.latency;
  const id = jsonValue(e.requestId);
  if (id === undefined) return JSON.stringify(requestLogRow(e, ids)); // no request id: not an event the gateway writes
  return flatString(
    '{"request_id":' + id +
    ',"time":"' + (typeof e.time === 'number' ? dateTime(e.time) : chDateTime(e.time)) + '"' +
    field(',"key_id":', e.keyId ?? '') +
    field(',"team_id":', e.teamId ?? '') +
    field(',"user_id":', e.userId ?? '') +
    field(',"model":', e.model) +
    field(',"deployment":', e.deployment ?? '') +
    field(',"provider":', e.provider ?? '') +
    field(',"upstream_model":', e.upstreamModel ?? '') +
    field(',"region":', e.region) +
    field(',"operation":', e.operation) +
    field(',"status":', e.status) +
    field(',"error_code":', e.errorCode ?? '') +
    field(',"total_ms":', l.totalMs) +
    field(',"overhead_ms":', l.overheadMs) +
    field(',"upstream_ms":', l.upstreamMs) +
    field(',"ttfb_ms":', l.ttfbMs) +
    field(',"prompt_tokens":', t.prompt) +
    field(',"completion_tokens":', t.completion) +
    field(',"cached_tokens":', t.cached) +
    field(',"cache_write_tokens":', t.cacheWrite) +
    field(',"cache_write_1h_tokens":', t.cacheWrite1h) +
    field(',"reasoning_tokens":', t.reasoning) +
    field(',"cost_usd":', e.costUsd) +
    field(',"input_cost_usd":', c.input) +
    field(',"cached_input_cost_usd":', c.cachedInput) +
    field(',"cache_write_cost_usd":', c.cacheWrite) +
    field(',"output_cost_usd":', c.output) +
    field(',"reasoning_cost_usd":', c.reasoning) +
    field(',"cache_hit":', e.cacheHit) +
    field(',"attempts":', e.attempts) +
    field(',"stream":', e.stream) +
    ',"trace_id":"' + ids.traceId + '"' + // hex digits: nothing to escape
    '}'
  );
}

/** One line of `traces` (no newline): `JSON.stringify(traceRow(genAiSpan(e, serviceName), e.requestId))`. */
export function traceLine(e: UsageEvent, serviceName: string, ids: SpanIds = spanIds(e)): string {
  const t = tokenBreakdown(e);
  const l = e.latency;
  const op = spanOperation(e.operation);
  let a =
    '"gen_ai.operation.name":' + attr(op) +
    ',"gen_ai.request.model":' + attr(e.model) +
    ',"gen_ai.usage.input_tokens":' + attr(t.prompt) +
    ',"gen_ai.usage.output_tokens":' + attr(t.completion) +
    ',"gen_ai.usage.cache_read.input_tokens":' + attr(t.cached) +
    ',"gen_ai.usage.cache_creation.input_tokens":' + attr(t.cacheWrite) +
    ',"skyway.usage.reasoning_tokens":' + attr(t.reasoning) +
    ',"http.response.status_code":' + attr(e.status) +
    ',"skyway.request_id":' + attr(e.requestId) +
    ',"skyway.key_id":' + attr(e.keyId ?? '') +
    ',"skyway.team_id":' + attr(e.teamId ?? '') +
    ',"skyway.user_id":' + attr(e.userId ?? '') +
    ',"skyway.cost_usd":' + attr(e.costUsd) +
    ',"skyway.cache_hit":' + attr(e.cacheHit) +
    ',"skyway.attempts":' + attr(e.attempts) +
    ',"skyway.stream":' + attr(e.stream) +
    ',"skyway.latency.overhead_ms":' + attr(l.overheadMs) +
    ',"skyway.latency.upstream_ms":' + attr(l.upstreamMs);
  if (e.provider) a += ',"gen_ai.provider.name":' + attr(spanProvider(e.provider));
  if (e.upstreamModel) a += ',"gen_ai.response.model":' + attr(e.upstreamModel);
  if (e.deployment) a += ',"skyway.deployment":' + attr(e.deployment);
  if (l.ttfbMs !== null) a += ',"skyway.latency.ttfb_ms":' + attr(l.ttfbMs);
  if (e.errorCode) a += ',"error.type":' + attr(e.errorCode);
  if (t.cacheWrite1h) a += ',"skyway.usage.cache_write_1h_tokens":' + attr(t.cacheWrite1h);
  if (e.costByKind) {
    const c = e.costByKind;
    a +=
      ',"skyway.cost.input_usd":' + attr(c.input) +
      ',"skyway.cost.cached_input_usd":' + attr(c.cachedInput) +
      ',"skyway.cost.cache_write_usd":' + attr(c.cacheWrite) +
      ',"skyway.cost.output_usd":' + attr(c.output) +
      ',"skyway.cost.reasoning_usd":' + attr(c.reasoning);
  }
  if (e.attemptLog?.length) a += ',"skyway.attempt_log":' + attr(JSON.stringify(e.attemptLog));

  const start = e.time;
  const whole = Math.floor(start);
  const timestamp = whole === start ? dateTime(whole) + '000000' : dateTime(whole) + Math.round((start - whole) * 1e6).toString().padStart(6, '0');
  const service = attr(serviceName);
  return flatString(
    // The time (digits, separators) and the hex ids need no escaping.
    '{"Timestamp":"' + timestamp +
    '","TraceId":"' + ids.traceId +
    '","SpanId":"' + ids.spanId +
    '","ParentSpanId":"","TraceState":"","SpanName":' + jsonString(`${op} ${e.model}`) +
    ',"SpanKind":"Client","ServiceName":' + service +
    ',"ResourceAttributes":{"service.name":' + service + ',"cloud.provider":"aws","cloud.region":' + attr(e.region) +
    '},"ScopeName":"skyway.usage","ScopeVersion":"1","SpanAttributes":{' + a +
    '},"Duration":' + jsonNumber(Math.round(l.totalMs * 1e6)) +
    ',"StatusCode":' + (e.status >= 400 ? '"Error"' : '"Ok"') +
    ',"StatusMessage":' + field('', e.errorCode ?? '') +
    field(',"RequestId":', e.requestId) +
    '}'
  );
}
