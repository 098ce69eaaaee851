/**
 * Messages between an extra event loop (worker thread) and the main thread, which owns the process-wide state.
 * Each side batches what one event-loop turn produced into one postMessage (an array), so a loop under load
 * pays one structured clone per turn, not one per request.
 */
import type { AdmissionRequest, SettleUsage } from '../admission/types.js';
import type { ChangeEvent } from '../keys/events.js';
import type { UsageEvent } from '../usage/event.js';

/** GatewayMetrics methods a loop forwards (the counters not derived from usage events). */
export const FORWARDED_METRICS = ['limitRejected', 'upstreamError', 'limitsFallback', 'limitsRedisError', 'limitsDegraded', 'cooldown', 'internalError', 'uncaughtError'] as const;
export type ForwardedMetric = (typeof FORWARDED_METRICS)[number];

export type LoopMessage =
  | { t: 'usage'; e: UsageEvent }
  | { t: 'metric'; m: ForwardedMetric; a: (string | boolean)[] }
  | { t: 'admit'; id: number; req: AdmissionRequest }
  | { t: 'settle'; id: number; usage: SettleUsage }
  /** The loop's last message: everything it sent before is already delivered when the owner reads this. */
  | { t: 'bye' };

/** A refusal from the main thread's admission, rebuilt as the same catalogue class in the loop. */
export interface RefusalWire {
  name: string;
  message: string;
  code: string;
  headers: Record<string, string> | undefined;
}

export type OwnerMessage =
  | { t: 'admitted'; id: number; headers: Readonly<Record<string, string>> }
  | { t: 'refused'; id: number; error: RefusalWire }
  | { t: 'change'; e: ChangeEvent }
  | { t: 'resync' }
  /** Whether the main thread's bus hears changes published elsewhere (the key cache's TTL depends on it). */
  | { t: 'live'; live: boolean };

/** Control messages on the worker's own port (not batched). */
export type Control = { t: 'ready'; port: number } | { t: 'failed'; message: string } | { t: 'drain' } | { t: 'drained'; drained: boolean };
