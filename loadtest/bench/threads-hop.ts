/**
 * The price of an exact in-process limiter across event loops: admit + settle through the main thread
 * (threads/loop-admission.ts over a MessagePort, batched per turn) against the same MemoryAdmission called in
 * the loop's own thread.
 *
 *   node dist/loadtest/bench/threads-hop.js [--seconds 3] [--concurrency 50]
 *
 * Prints admissions per second and the latency of one admit (p50/p99, µs) for both. Closed loops: each of
 * `concurrency` callers admits, settles, and admits again, as requests in flight on one loop would.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { MemoryAdmission } from '../../regional/src/admission/memory.js';
import type { Admission, AdmissionRequest } from '../../regional/src/admission/types.js';
import type { Principal } from '../../regional/src/auth/principal.js';
import { connectLoop } from '../../regional/src/threads/loop-parts.js';
import { serveLoop } from '../../regional/src/threads/owner.js';
import { localChangeBus } from '../../regional/src/keys/events.js';
import { Samples } from './stats.js';

const PRINCIPAL: Principal = { kind: 'virtual', keyId: 'k1', key: { id: 'k1', limits: { rpm: 1e9, tpm: 1e12, maxParallel: 1e6 } } };

async function drive(admission: Admission, seconds: number, concurrency: number): Promise<{ perS: number; p50: number; p99: number }> {
  const lat = new Samples();
  let n = 0;
  const until = performance.now() + seconds * 1000;
  const caller = async (c: number) => {
    while (performance.now() < until) {
      const req: AdmissionRequest = { requestId: `r${c}-${n++}`, principal: PRINCIPAL, model: 'mock-1', estimatedPromptTokens: 200, maxCompletionTokens: 20, estimatedCostUsd: 0 };
      const t0 = performance.now();
      const ticket = await admission.admit(req);
      lat.add((performance.now() - t0) * 1000);
      await ticket.settle({ promptTokens: 200, completionTokens: 17, costUsd: 0 });
      await new Promise((r) => setImmediate(r)); // a request's life spans event-loop turns
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, c) => caller(c)));
  const { p50, p99 } = lat.summary();
  return { perS: lat.count / ((performance.now() - t) / 1000), p50, p99 };
}

if (isMainThread) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, concurrency: { type: 'string' } } });
  const seconds = Number(values.seconds ?? 3);
  const concurrency = Number(values.concurrency ?? 50);
  const local = await drive(new MemoryAdmission({ leaseMs: 60_000 }), seconds, concurrency);
  const owned = new MemoryAdmission({ leaseMs: 60_000 });
  const channel = serveLoop({ admission: owned, usage: undefined, metrics: undefined, bus: localChangeBus });
  const worker = new Worker(new URL(import.meta.url), { workerData: { port: channel.port, seconds, concurrency }, transferList: [channel.port] });
  const remote = await new Promise<{ perS: number; p50: number; p99: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  channel.close();
  await worker.terminate();
  const f = (r: { perS: number; p50: number; p99: number }) => `${Math.round(r.perS).toLocaleString('en')} admits/s, admit p50 ${r.p50.toFixed(1)} µs, p99 ${r.p99.toFixed(1)} µs`;
  console.log(`in the loop's thread:        ${f(local)}`);
  console.log(`via the main thread (hop):   ${f(remote)}`);
  console.log(`concurrency ${concurrency}, ${seconds} s each`);
} else {
  const d = workerData as { port: MessagePort; seconds: number; concurrency: number };
  const conn = connectLoop(d.port, true);
  const r = await drive(conn.parts.admission!, d.seconds, d.concurrency);
  conn.close();
  parentPort!.postMessage(r);
}
