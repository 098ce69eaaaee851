/**
 * Chat traffic through a real gateway for the usage end-to-end test: a mix of JSON and streaming requests sent
 * by a fixed number of concurrent workers, every outcome kept (status, `x-skyway-request-id`, whether the body
 * arrived whole, the usage the client was told). A request is *served* when it got 200 with a request id and
 * its whole body (a stream ends with `data: [DONE]`); anything else is *refused*.
 *
 * @example
 *   const traffic = new UsageTraffic(gw.masterKey);
 *   await traffic.run(gw.url, { served: 500, concurrency: 16, phase: 'warm-up' });
 *   traffic.servedIds(); // the ids every usage sink must hold
 */
import { Agent, request } from 'undici';

export interface Outcome {
  /** Order in which the request was sent. */
  n: number;
  phase: string;
  stream: boolean;
  /** HTTP status, or null when no response came (connection refused or cut). */
  status: number | null;
  requestId: string | null;
  /** 200, a request id and the whole body. */
  served: boolean;
  promptTokens: number;
  completionTokens: number;
  /** Why it was not served: `503 draining`, `ECONNREFUSED`, `incomplete stream`… */
  error?: string;
}

export interface RunOptions {
  /** Stop once this many requests in total (all runs) have been served. */
  served: number;
  concurrency: number;
  /** Label kept on every outcome. */
  phase: string;
  /** Stop sending new requests at the first refusal (a gateway shutting down); requests in flight finish. */
  stopOnRefusal?: boolean;
}

interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** The usage of a whole SSE body, and whether it ended with `[DONE]`. */
function readStream(text: string): { usage: ChatUsage | undefined; done: boolean } {
  let usage: ChatUsage | undefined;
  let done = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { usage?: ChatUsage | null };
    if (chunk.usage) usage = chunk.usage;
  }
  return { usage, done };
}

function errorName(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string }; message?: string };
  return e.code ?? e.cause?.code ?? String(e.message ?? err);
}

export class UsageTraffic {
  readonly outcomes: Outcome[] = [];
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 2000 });
  private sent = 0;
  private servedCount = 0;

  constructor(
    private readonly apiKey: string,
    private readonly model = 'mock-1',
  ) {}

  get served(): number {
    return this.servedCount;
  }

  /** Request ids of every served request, in completion order. */
  servedIds(): string[] {
    return this.outcomes.filter((o) => o.served).map((o) => o.requestId!);
  }

  refused(): Outcome[] {
    return this.outcomes.filter((o) => !o.served);
  }

  /** Send until `opts.served` requests in total were served (or, with stopOnRefusal, until one is refused). */
  async run(baseUrl: string, opts: RunOptions): Promise<void> {
    let inflight = 0;
    let halted = false;
    const worker = async () => {
      while (!halted && this.servedCount + inflight < opts.served) {
        inflight++;
        const o = await this.one(baseUrl, opts.phase);
        inflight--;
        this.outcomes.push(o);
        if (o.served) this.servedCount++;
        else if (opts.stopOnRefusal) halted = true;
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async one(baseUrl: string, phase: string): Promise<Outcome> {
    const n = this.sent++;
    const stream = n % 2 === 1;
    const body: Record<string, unknown> = {
      model: this.model,
      messages: [{ role: 'user', content: `usage e2e request ${n}` }],
      max_tokens: 1 + (n % 6),
    };
    if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    const o: Outcome = { n, phase, stream, status: null, requestId: null, served: false, promptTokens: 0, completionTokens: 0 };
    try {
      const res = await request(`${baseUrl}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
      o.status = res.statusCode;
      const id = res.headers['x-skyway-request-id'];
      o.requestId = typeof id === 'string' ? id : null;
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        const err = (JSON.parse(text) as { error?: { code?: string } }).error;
        o.error = `${res.statusCode} ${err?.code ?? text.slice(0, 80)}`;
        return o;
      }
      let usage: ChatUsage | undefined;
      if (stream) {
        const s = readStream(text);
        if (!s.done) {
          o.error = 'incomplete stream';
          return o;
        }
        usage = s.usage;
      } else {
        usage = (JSON.parse(text) as { usage?: ChatUsage }).usage;
      }
      if (!usage) o.error = 'no usage in the response';
      else if (!o.requestId) o.error = 'no x-skyway-request-id';
      else {
        o.promptTokens = usage.prompt_tokens;
        o.completionTokens = usage.completion_tokens;
        o.served = true;
      }
    } catch (err) {
      o.error = errorName(err);
    }
    return o;
  }
}
