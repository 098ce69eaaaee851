/**
 * What an extra event loop (a worker thread running its own uWS app on the shared port) takes from the process
 * instead of building it: the parts whose state must be one per process so that limits, usage and metrics stay
 * exact however many loops serve requests. threads/worker.ts builds them as proxies to the main thread.
 */
import type { Admission } from '../admission/types.js';
import type { ChangeBus } from '../keys/events.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { UsageEvent } from '../usage/event.js';

export interface LoopParts {
  /** The limiter lives on the main thread (in-process counters, or the Redis client with its local fallback). */
  admission?: Admission;
  /** Posts usage events to the main thread's one recorder. */
  usage: { record(e: UsageEvent): void; close(timeoutMs?: number): Promise<void> };
  /** Posts counter updates to the main thread's one registry (scraped there). */
  metrics: GatewayMetrics;
  /** Key and deployment changes, fanned out by the main thread from its own bus. */
  bus: ChangeBus;
}
