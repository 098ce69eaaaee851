/**
 * CloudWatch Embedded Metric Format: the key figures as structured log lines that CloudWatch Logs turns into
 * metrics, so the infra dashboards need no agent. Events are aggregated per model and emitted once per interval
 * (one line per model), never one line per request. Latencies go out as value/count arrays (EMF allows up to 100
 * distinct values per metric), rounded to keep them within that.
 *
 * Enabled by SKYWAY_EMF=1, or automatically on ECS/Lambda (ECS_CONTAINER_METADATA_URI_V4 / AWS_EXECUTION_ENV)
 * unless SKYWAY_EMF=0. Namespace: SKYWAY_EMF_NAMESPACE (default "Skyway").
 */
import type { UsageEvent } from '../usage/event.js';

interface Dist {
  values: Map<number, number>;
}

interface ModelAgg {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latency: Dist;
  overhead: Dist;
  ttft: Dist;
}

export interface EmfOptions {
  namespace?: string;
  region: string;
  /** Emit interval (ms). @default 60000 */
  intervalMs?: number;
  /** Where lines go. @default one line to stdout */
  write?: (line: string) => void;
}

export function emfEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.SKYWAY_EMF === '1') return true;
  if (env.SKYWAY_EMF === '0') return false;
  return Boolean(env.ECS_CONTAINER_METADATA_URI_V4 || env.AWS_EXECUTION_ENV);
}

/** Round so that a distribution keeps few distinct values: 2 significant digits. */
function bucket(ms: number): number {
  if (ms <= 0) return 0;
  const mag = 10 ** (Math.floor(Math.log10(ms)) - 1);
  return Math.round(ms / mag) * mag;
}

function add(d: Dist, ms: number): void {
  const b = bucket(ms);
  d.values.set(b, (d.values.get(b) ?? 0) + 1);
}

function emit(d: Dist): { Values: number[]; Counts: number[] } | undefined {
  if (d.values.size === 0) return undefined;
  const entries = [...d.values].sort((a, b) => a[0] - b[0]).slice(0, 100);
  return { Values: entries.map((e) => Number(e[0].toPrecision(6))), Counts: entries.map((e) => e[1]) };
}

export class EmfPublisher {
  private aggs = new Map<string, ModelAgg>();
  private readonly timer: NodeJS.Timeout;
  private readonly namespace: string;
  private readonly write: (line: string) => void;

  constructor(private readonly opts: EmfOptions) {
    this.namespace = opts.namespace ?? 'Skyway';
    this.write = opts.write ?? ((line) => process.stdout.write(line + '\n'));
    this.timer = setInterval(() => this.flush(), opts.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Add one request (cheap: a Map lookup and a few additions). */
  observe(e: UsageEvent): void {
    let a = this.aggs.get(e.model);
    if (!a) {
      a = { requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, latency: { values: new Map() }, overhead: { values: new Map() }, ttft: { values: new Map() } };
      this.aggs.set(e.model, a);
    }
    a.requests++;
    if (e.status >= 500) a.errors++;
    a.promptTokens += e.tokens.prompt;
    a.completionTokens += e.tokens.completion;
    a.costUsd += e.costUsd;
    add(a.latency, e.latency.totalMs);
    add(a.overhead, e.latency.overheadMs);
    if (e.latency.ttfbMs !== null) add(a.ttft, e.latency.ttfbMs);
  }

  /** Write one EMF line per model seen since the last flush. */
  flush(now = Date.now()): void {
    const aggs = this.aggs;
    this.aggs = new Map();
    for (const [model, a] of aggs) {
      const metrics: { Name: string; Unit: string }[] = [
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'ServerErrors', Unit: 'Count' },
        { Name: 'PromptTokens', Unit: 'Count' },
        { Name: 'CompletionTokens', Unit: 'Count' },
        { Name: 'CostUSD', Unit: 'None' },
      ];
      const line: Record<string, unknown> = {
        Region: this.opts.region,
        Model: model,
        Requests: a.requests,
        ServerErrors: a.errors,
        PromptTokens: a.promptTokens,
        CompletionTokens: a.completionTokens,
        CostUSD: Number(a.costUsd.toFixed(8)),
      };
      for (const [name, d] of [['Latency', a.latency], ['Overhead', a.overhead], ['TimeToFirstToken', a.ttft]] as const) {
        const v = emit(d);
        if (!v) continue;
        line[name] = v;
        metrics.push({ Name: name, Unit: 'Milliseconds' });
      }
      line._aws = {
        Timestamp: now,
        CloudWatchMetrics: [{ Namespace: this.namespace, Dimensions: [['Region'], ['Region', 'Model']], Metrics: metrics }],
      };
      this.write(JSON.stringify(line));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
