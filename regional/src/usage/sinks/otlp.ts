/**
 * OTLP/HTTP trace export (JSON encoding) of the same GenAI spans, enabled when OTEL_EXPORTER_OTLP_ENDPOINT
 * (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Span ids are derived from the request id, so a replayed batch
 * repeats the same span ids; whether the backend collapses them is up to it.
 */
import type { UsageEvent } from '../event.js';
import { genAiSpan, type AttrValue } from '../rows.js';
import type { UsageSink } from '../sink.js';

export interface OtlpSinkOptions {
  /** Full URL of the traces endpoint, e.g. `http://collector:4318/v1/traces`. */
  url: string;
  headers?: Record<string, string>;
  serviceName?: string;
}

type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

function otlpValue(v: AttrValue): OtlpValue {
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { stringValue: v };
}

function attributes(o: Record<string, AttrValue>): { key: string; value: OtlpValue }[] {
  return Object.entries(o).map(([key, v]) => ({ key, value: otlpValue(v) }));
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

/** The endpoint for traces per the OTel exporter spec: the signal-specific variable as is, else base + /v1/traces. */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '') + '/v1/traces';
  return undefined;
}

/** OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS: `k=v,k2=v2`, values URL-encoded. */
export function otlpHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    for (const pair of (raw ?? '').split(',')) {
      const i = pair.indexOf('=');
      if (i > 0) out[decodeURIComponent(pair.slice(0, i).trim())] = decodeURIComponent(pair.slice(i + 1).trim());
    }
  }
  return out;
}

export class OtlpTraceSink implements UsageSink {
  readonly name = 'otlp';
  private readonly serviceName: string;

  constructor(private readonly opts: OtlpSinkOptions) {
    this.serviceName = opts.serviceName ?? 'skyway-gateway';
  }

  async write(batch: readonly UsageEvent[], signal: AbortSignal): Promise<void> {
    // One resourceSpans entry per region (the resource attributes differ by region only).
    const byRegion = new Map<string, unknown[]>();
    const resources = new Map<string, Record<string, AttrValue>>();
    for (const e of batch) {
      const s = genAiSpan(e, this.serviceName);
      let spans = byRegion.get(e.region);
      if (!spans) {
        byRegion.set(e.region, (spans = []));
        resources.set(e.region, s.resource);
      }
      spans.push({
        traceId: s.traceId,
        spanId: s.spanId,
        name: s.name,
        kind: 3, // SPAN_KIND_CLIENT
        startTimeUnixNano: nanos(s.startMs),
        endTimeUnixNano: nanos(s.startMs + s.durationMs),
        attributes: attributes(s.attributes),
        status: s.error ? { code: 2, message: s.statusMessage } : { code: 1 },
      });
    }
    const body = {
      resourceSpans: [...byRegion].map(([region, spans]) => ({
        resource: { attributes: attributes(resources.get(region)!) },
        scopeSpans: [{ scope: { name: 'skyway.usage', version: '1' }, spans }],
      })),
    };
    const res = await fetch(this.opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.opts.headers },
      body: JSON.stringify(body),
      signal,
    });
    await res.arrayBuffer().catch(() => undefined);
    // 4xx other than throttling would fail forever on replay: count them as delivered-and-rejected.
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new Error(`OTLP export failed: HTTP ${res.status}`);
  }
}
