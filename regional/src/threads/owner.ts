/**
 * The main thread's side of the extra event loops: it owns the one limiter (embedded mode), the one usage
 * recorder and the one metrics registry, and fans key changes out to every loop.
 *
 * A loop that dies with reservations open has them settled with zero usage here, so its in-flight slots free.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Admission, AdmissionTicket } from '../admission/types.js';
import { GatewayError } from '../errors/catalogue.js';
import type { ChangeBus } from '../keys/events.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { UsageEvent } from '../usage/event.js';
import { FORWARDED_METRICS, type LoopMessage, type OwnerMessage, type RefusalWire } from './protocol.js';

export interface OwnedParts {
  /** The process's one limiter (in-process or Redis-backed). */
  admission: Admission | undefined;
  usage: { record(e: UsageEvent): void } | undefined;
  metrics: GatewayMetrics | undefined;
  bus: ChangeBus;
}

const ZERO = { promptTokens: 0, completionTokens: 0, costUsd: 0 };
const forwarded = new Set<string>(FORWARDED_METRICS);

function refusal(err: unknown): RefusalWire {
  if (err instanceof GatewayError) return { name: err.name, message: err.message, code: err.code, headers: err.headers };
  return { name: 'InternalError', message: 'The gateway failed to process your request. It has been logged; retry later.', code: 'internal_error', headers: undefined };
}

/**
 * One loop's channel; `port` goes to the worker. `ended` resolves when the loop's last message (`bye`) was read:
 * everything it sent was handled. `close()` settles what the loop left open.
 */
export function serveLoop(owned: OwnedParts): { port: MessagePort; ended: Promise<void>; close(): void } {
  const { port1: mine, port2: theirs } = new MessageChannel();
  let sawBye!: () => void;
  const ended = new Promise<void>((resolve) => (sawBye = resolve));
  const tickets = new Map<number, AdmissionTicket>();
  let replies: OwnerMessage[] = [];
  let scheduled = false;
  const reply = (m: OwnerMessage) => {
    replies.push(m);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const batch = replies;
      replies = [];
      mine.postMessage(batch);
    });
  };
  const admit = (id: number, req: Extract<LoopMessage, { t: 'admit' }>['req']) => {
    if (!owned.admission) return reply({ t: 'refused', id, error: refusal(undefined) });
    try {
      const r = owned.admission.admit(req);
      const ok = (t: AdmissionTicket) => {
        tickets.set(id, t);
        reply({ t: 'admitted', id, headers: t.headers });
      };
      if (r instanceof Promise) r.then(ok, (err: unknown) => reply({ t: 'refused', id, error: refusal(err) }));
      else ok(r);
    } catch (err) {
      reply({ t: 'refused', id, error: refusal(err) });
    }
  };
  mine.on('message', (batch: LoopMessage[]) => {
    for (const m of batch) {
      switch (m.t) {
        case 'usage':
          owned.usage?.record(m.e);
          break;
        case 'metric':
          if (owned.metrics && forwarded.has(m.m)) (owned.metrics[m.m] as (...a: unknown[]) => void)(...m.a);
          break;
        case 'admit':
          admit(m.id, m.req);
          break;
        case 'settle': {
          const t = tickets.get(m.id);
          tickets.delete(m.id);
          void t?.settle(m.usage);
          break;
        }
        case 'bye':
          sawBye();
          break;
      }
    }
  });
  const offChange = owned.bus.subscribe((e) => reply({ t: 'change', e }));
  const offResync = owned.bus.onResync(() => reply({ t: 'resync' }));
  let live = owned.bus.live;
  const liveTimer = setInterval(() => {
    if (owned.bus.live !== live) reply({ t: 'live', live: (live = owned.bus.live) });
  }, 1000).unref();
  return {
    port: theirs,
    ended,
    close: () => {
      offChange();
      offResync();
      clearInterval(liveTimer);
      for (const t of tickets.values()) void t.settle(ZERO);
      tickets.clear();
      mine.close();
    },
  };
}
