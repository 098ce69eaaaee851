/**
 * "Open streams": N streamed requests held open at once through the gateway (the mock trickles one chunk per
 * `chunkDelayMs`), to measure the gateway's memory per open stream. Every stream is aborted at the end.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

export interface OpenStreamsResult {
  requested: number;
  /** Streams answered 200 that had delivered their first byte when the sample was taken. */
  opened: number;
  /** ms until `opened` streams were open. */
  openMs: number;
  /** Requests that failed or were answered with a status other than 200. */
  errors: number;
  /** The errors by status and error code (`503 limits_unavailable`), or `transport` when no answer came. */
  errorKinds: Record<string, number>;
}

export interface OpenStreamsSpec {
  url: string;
  headers: Record<string, string>;
  count: number;
  /** How long the mock waits between chunks; the streams stay open at least `holdMs`. */
  chunkDelayMs: number;
  holdMs: number;
  /** Called once every stream is open (or the open phase timed out), while they are still open. */
  sample: () => void;
}

/** How long the open phase may take before RSS is sampled with whatever opened. */
const OPEN_DEADLINE_MS = 30_000;

export async function openStreams(spec: OpenStreamsSpec): Promise<OpenStreamsResult> {
  const agent = new Agent({ connections: spec.count, keepAliveTimeout: 1000, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const controller = new AbortController();
  setMaxListeners(spec.count + 10, controller.signal); // one listener per stream, by design
  // Long enough that the first streams are still open when the last one opens on a loaded machine (30 s).
  const chunks = Math.ceil((OPEN_DEADLINE_MS + spec.holdMs * 2) / spec.chunkDelayMs) + 10;
  const body = JSON.stringify({
    model: 'mock-1',
    messages: [{ role: 'user', content: 'hold this stream open' }],
    stream: true,
    mock: { chunk_delay_ms: spec.chunkDelayMs, chunks },
  });
  let opened = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  const kind = (k: string) => (errorKinds[k] = (errorKinds[k] ?? 0) + 1);
  let allOpen: () => void = () => undefined;
  const allOpened = new Promise<void>((r) => (allOpen = r));
  const t0 = performance.now();
  const one = async () => {
    try {
      const res = await request(spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...spec.headers },
        body,
        dispatcher: agent,
        signal: controller.signal,
      });
      // An error answer (a 503 when the limit store times out under the burst) is not an open stream: its body
      // arrives and ends at once, and counting its first byte would report streams that hold no memory.
      if (res.statusCode !== 200) {
        if (++errors + opened === spec.count) allOpen();
        const text = await res.body.text().catch(() => '');
        kind(`${res.statusCode} ${/"code":"([a-z_]+)"/.exec(text)?.[1] ?? '-'}`);
        return;
      }
      let first = true;
      for await (const _chunk of res.body) {
        if (first) {
          first = false;
          if (++opened + errors === spec.count) allOpen();
        }
      }
    } catch {
      if (!controller.signal.aborted) {
        kind('transport');
        if (++errors + opened === spec.count) allOpen();
      }
    }
  };
  const all = Array.from({ length: spec.count }, one);
  const openDeadline = new Promise<void>((r) => setTimeout(r, Math.max(OPEN_DEADLINE_MS, spec.holdMs)).unref());
  await Promise.race([allOpened, openDeadline]);
  const openMs = performance.now() - t0;
  const openedAtSample = opened;
  spec.sample();
  controller.abort();
  await Promise.allSettled(all);
  await agent.destroy();
  return { requested: spec.count, opened: openedAtSample, openMs, errors, errorKinds };
}
