/**
 * Streaming load with undici: `connections` closed loops, each sending a streamed chat request and reading it
 * to the end; records the time to the first body byte (TTFB: the first SSE chunk) and streams per second.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { Samples } from './stats.js';

export interface StreamResult {
  streamsPerS: number;
  ttfbP50: number;
  ttfbP99: number;
  streams: number;
  errors: number;
}

export interface StreamSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationS: number;
}

/** Sends one streamed request; resolves with the TTFB in ms, or throws. */
async function oneStream(agent: Agent, spec: StreamSpec): Promise<number> {
  const t0 = performance.now();
  const res = await request(spec.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: spec.body,
    dispatcher: agent,
  });
  let ttfb = -1;
  for await (const chunk of res.body) {
    if (ttfb < 0 && (chunk as Buffer).length > 0) ttfb = performance.now() - t0;
  }
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  return ttfb;
}

export async function streamLoad(spec: StreamSpec): Promise<StreamResult> {
  const agent = new Agent({ connections: spec.connections, keepAliveTimeout: 10_000, pipelining: 1 });
  const ttfb = new Samples();
  let errors = 0;
  const start = performance.now();
  const until = start + spec.durationS * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      try {
        ttfb.add(await oneStream(agent, spec));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, loop));
  const elapsedS = (performance.now() - start) / 1000;
  await agent.close();
  const { p50, p99 } = ttfb.summary();
  return { streamsPerS: ttfb.count / elapsedS, ttfbP50: p50, ttfbP99: p99, streams: ttfb.count, errors };
}
