/**
 * An extra event loop: a worker thread running its own uWS app on the main loop's port (SO_REUSEPORT: the
 * kernel spreads connections over the loops). It builds the request path like the main thread but takes the
 * process-wide parts (limiter, usage recorder, metrics, key changes) from it through connectLoop().
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { startGateway } from '../app.js';
import { connectLoop } from './loop-parts.js';
import type { Control } from './protocol.js';

export interface LoopWorkerData {
  env: NodeJS.ProcessEnv;
  port: MessagePort;
}

async function run(): Promise<void> {
  const data = workerData as LoopWorkerData;
  const control = parentPort!;
  const conn = connectLoop(data.port, true);
  let running;
  try {
    running = await startGateway(data.env, { loop: conn.parts });
  } catch (err) {
    conn.close();
    control.postMessage({ t: 'failed', message: (err as Error).message } satisfies Control);
    return;
  }
  control.postMessage({ t: 'ready', port: running.server?.port ?? 0 } satisfies Control);
  control.on('message', (m: Control) => {
    if (m.t !== 'drain') return;
    void running.shutdown().then(({ drained }) => {
      conn.close();
      control.postMessage({ t: 'drained', drained } satisfies Control);
      // The thread ends once uWS has no sockets left (idle keep-alive connections time out within ~10 s).
      control.close();
    });
  });
}

void run();
