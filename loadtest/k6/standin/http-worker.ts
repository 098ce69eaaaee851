/**
 * The worker behind the stand-in's synchronous HTTP (k6's http calls block; Node's do not): it performs each
 * request with undici and wakes the blocked caller through a shared Int32Array.
 */
import { performance } from 'node:perf_hooks';
import { workerData, type MessagePort } from 'node:worker_threads';
import { Agent, request } from 'undici';
import type { WireRequest, WireResponse } from './wire.js';

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
const agent = new Agent({ keepAliveTimeout: 1000, connections: 64 });

async function perform(req: WireRequest): Promise<WireResponse> {
  const t0 = performance.now();
  try {
    const res = await request(req.url, {
      method: req.method as 'GET',
      headers: req.headers,
      body: req.body ?? null,
      dispatcher: agent,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const tHeaders = performance.now();
    const body = await res.body.text();
    const tEnd = performance.now();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
    return { status: res.statusCode, headers, body, waiting: tHeaders - t0, receiving: tEnd - tHeaders, error: '' };
  } catch (err) {
    return { status: 0, headers: {}, body: '', waiting: 0, receiving: performance.now() - t0, error: String(err) };
  }
}

port.on('message', (req: WireRequest) => {
  void perform(req).then((res) => {
    port.postMessage(res);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
