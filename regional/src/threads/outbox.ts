/**
 * One postMessage per event-loop turn: messages queued during a turn leave together in `setImmediate`, after
 * the I/O callbacks of that turn ran (so every request that arrived in the same poll phase shares the clone).
 */
import type { MessagePort } from 'node:worker_threads';

export class Outbox<M> {
  #queue: M[] = [];
  #scheduled = false;
  readonly #port: MessagePort;

  constructor(port: MessagePort) {
    this.#port = port;
  }

  push(m: M): void {
    this.#queue.push(m);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what is queued now (also called before closing). */
  flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#port.postMessage(batch);
  }
}
