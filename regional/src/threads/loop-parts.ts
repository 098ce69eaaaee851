/**
 * The parts an extra event loop shares with the process (see parts.ts), as proxies over one MessagePort to the
 * main thread: usage events and counters go out batched per turn; key changes and admission answers come in.
 */
import type { MessagePort } from 'node:worker_threads';
import { Registry } from 'prom-client';
import type { ChangeBus, ChangeHandler } from '../keys/events.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { LoopAdmission } from './loop-admission.js';
import { Outbox } from './outbox.js';
import type { LoopParts } from './parts.js';
import { FORWARDED_METRICS, type LoopMessage, type OwnerMessage } from './protocol.js';

/** Key/deployment changes as the main thread hears them (from Redis pub/sub or its in-process bus). */
class FannedOutBus implements ChangeBus {
  live = true;
  readonly #handlers = new Set<ChangeHandler>();
  readonly #resync = new Set<() => void>();
  async publish(): Promise<void> {
    throw new Error('an extra event loop does not publish key changes (the admin role does, on the main thread)');
  }
  subscribe(h: ChangeHandler): () => void {
    this.#handlers.add(h);
    return () => this.#handlers.delete(h);
  }
  onResync(h: () => void): () => void {
    this.#resync.add(h);
    return () => this.#resync.delete(h);
  }
  deliver(m: OwnerMessage): void {
    if (m.t === 'change') for (const h of this.#handlers) h(m.e);
    else if (m.t === 'resync') for (const h of this.#resync) h();
    else if (m.t === 'live') this.live = m.live;
  }
  async close(): Promise<void> {
    this.#handlers.clear();
    this.#resync.clear();
  }
}

function forwardingMetrics(out: Outbox<LoopMessage>): GatewayMetrics {
  const noop = () => undefined;
  const m: Record<string, unknown> = {
    registry: new Registry(), // empty: /metrics is served by the main thread's registry
    observeUsage: noop, // derived from usage events, which the main thread's recorder observes
    usageObserver: { delivered: noop, spooled: noop, dropped: noop, failed: noop },
    watchUsage: noop,
  };
  for (const name of FORWARDED_METRICS) m[name] = (...a: (string | boolean)[]) => out.push({ t: 'metric', m: name, a });
  return m as unknown as GatewayMetrics;
}

export interface LoopConnection {
  parts: LoopParts;
  /** Sends what is queued and stops listening to the port. */
  close(): void;
}

/**
 * @param sharedLimits true when admission goes to the main thread's limiter (the gateway always does; false
 *   leaves the loop to build its own, for tests of a loop alone).
 */
export function connectLoop(port: MessagePort, sharedLimits: boolean): LoopConnection {
  const out = new Outbox<LoopMessage>(port);
  const bus = new FannedOutBus();
  const admission = sharedLimits ? new LoopAdmission(out) : undefined;
  port.on('message', (batch: OwnerMessage[]) => {
    for (const m of batch) {
      if (m.t === 'admitted') admission?.answer(m.id, m.headers, undefined);
      else if (m.t === 'refused') admission?.answer(m.id, undefined, m.error);
      else bus.deliver(m);
    }
  });
  const usage = {
    record: (e: Parameters<LoopParts['usage']['record']>[0]) => out.push({ t: 'usage', e }),
    close: async () => out.flush(),
  };
  return {
    parts: { admission, usage, metrics: forwardingMetrics(out), bus },
    close: () => {
      // In-band end marker: messages on one port arrive in order, so when the owner reads `bye` it has recorded
      // every usage event and settlement this loop sent (the worker's exit, on another channel, may come first).
      out.push({ t: 'bye' });
      out.flush();
      port.close();
    },
  };
}
