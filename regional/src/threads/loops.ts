/**
 * Starting and stopping the extra event loops of a process (SKYWAY_THREADS − 1 worker threads; the main
 * thread is loop 0). Each loop listens on the main loop's port; the main thread serves their shared state.
 *
 * @example
 * const running = await startGateway(process.env);
 * const loops = await startLoops(running, threadCount() - 1, process.env);
 * // on SIGTERM: await loops.drain(); then running.shutdown()
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { RunningGateway } from '../app.js';
import { serveLoop } from './owner.js';
import type { Control } from './protocol.js';
import type { LoopWorkerData } from './worker.js';

/** How long a loop that exited may take to deliver its last messages (its `bye`) before its channel closes. */
const BYE_GRACE_MS = 2000;

export interface Loops {
  readonly count: number;
  /** Drains every extra loop and resolves when their threads have ended (or `timeoutMs` passed). */
  drain(timeoutMs: number): Promise<{ drained: boolean; exited: boolean }>;
}

export async function startLoops(running: RunningGateway, extra: number, env: NodeJS.ProcessEnv): Promise<Loops> {
  const gw = running.gateway;
  if (!gw || !running.server || extra < 1) return { count: 0, drain: async () => ({ drained: true, exited: true }) };
  const loopEnv: NodeJS.ProcessEnv = { ...env, PORT: String(running.server.port), SKYWAY_ROLE: 'api' };
  // Admission always stays on this thread, also with Redis: the limiter's fallback while Redis is down counts
  // locally (limit / SKYWAY_REPLICAS per process), which must be one count per process, not one per loop.
  const owned = { admission: gw.admission, usage: gw.usage, metrics: gw.metrics, bus: running.stores.bus };
  const started: { worker: Worker; ended: Promise<void>; close(): void }[] = [];
  try {
    for (let i = 0; i < extra; i++) {
      const channel = serveLoop(owned);
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { env: loopEnv, port: channel.port } satisfies LoopWorkerData,
        transferList: [channel.port],
        env: loopEnv,
      });
      started.push({ worker, ended: channel.ended, close: channel.close });
      // The worker's exit can be seen before its last messages on the channel are read: close the channel only
      // after its `bye` (or 2 s, for a loop that died without one), so that no usage event is dropped.
      worker.once('exit', () => void Promise.race([channel.ended, delay(BYE_GRACE_MS, undefined, { ref: false })]).then(channel.close));
      await new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (m: Control) => (m.t === 'ready' ? resolve() : reject(new Error(`event loop ${i + 1} did not start: ${m.t === 'failed' ? m.message : m.t}`))));
      });
    }
  } catch (err) {
    await Promise.all(started.map(({ worker }) => worker.terminate()));
    throw err;
  }
  running.logger.info({ loops: extra + 1, port: running.server.port }, 'event loops listening');
  return {
    count: extra,
    drain: async (timeoutMs) => {
      const results = await Promise.all(
        started.map(
          ({ worker, ended }) =>
            new Promise<{ drained: boolean; exited: boolean }>((resolve) => {
              let drained = false;
              const timer = setTimeout(() => resolve({ drained, exited: false }), timeoutMs).unref();
              worker.on('message', (m: Control) => {
                if (m.t === 'drained') drained = m.drained;
              });
              // Exited, and its last usage events handed to this thread's recorder (which closes after this).
              worker.once('exit', () => {
                void Promise.race([ended, delay(BYE_GRACE_MS, undefined, { ref: false })]).then(() => {
                  clearTimeout(timer);
                  resolve({ drained, exited: true });
                });
              });
              worker.postMessage({ t: 'drain' } satisfies Control);
            }),
        ),
      );
      return { drained: results.every((r) => r.drained), exited: results.every((r) => r.exited) };
    },
  };
}
