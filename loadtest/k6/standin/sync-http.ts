/** Blocking HTTP for the stand-in: posts to a worker and waits on a shared flag (Atomics.wait). */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { WireRequest, WireResponse } from './wire.js';

let worker: { w: Worker; port: MessagePort; flag: Int32Array } | undefined;

function start() {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(new URL('./http-worker.js', import.meta.url), { workerData: { port: port2, flag }, transferList: [port2] });
  w.unref();
  port1.unref();
  worker = { w, port: port1, flag };
  return worker;
}

/** Performs one request synchronously. The server must not run on this thread (it would be blocked too). */
export function requestSync(req: WireRequest): WireResponse {
  const wk = worker ?? start();
  Atomics.store(wk.flag, 0, 0);
  wk.port.postMessage(req);
  const waited = Atomics.wait(wk.flag, 0, 0, req.timeoutMs + 5000);
  if (waited === 'timed-out') throw new Error(`k6 stand-in: no answer from the http worker for ${req.method} ${req.url}`);
  const msg = receiveMessageOnPort(wk.port);
  if (!msg) throw new Error('k6 stand-in: the http worker woke without an answer');
  return msg.message as WireResponse;
}

export async function stopHttpWorker(): Promise<void> {
  const wk = worker;
  worker = undefined;
  if (wk) {
    wk.port.close();
    await wk.w.terminate();
  }
}
