/** The embedded default (no REDIS_URL): admission against this process's memory, same semantics as Redis. */
import { MemoryLimitStore } from './memory-store.js';
import type { MemoryStoreOptions } from './memory-store.js';
import { admitWith } from './ticket.js';
import type { LimiterBackend } from './ticket.js';
import type { Admission, AdmissionMetrics, AdmissionRequest, AdmissionTicket } from './types.js';

export class MemoryAdmission implements Admission {
  private readonly store: MemoryLimitStore;
  private readonly backend: LimiterBackend;

  constructor(opts: MemoryStoreOptions & { metrics?: AdmissionMetrics } = {}) {
    this.store = new MemoryLimitStore(opts);
    const store = this.store;
    this.backend = {
      reserve: (plan, req) => store.reserve(plan, req.requestId),
      settle: (plan, req, tokens, micro) => store.settle(plan, req.requestId, tokens, micro),
    };
    this.metrics = opts.metrics;
  }

  private readonly metrics: AdmissionMetrics | undefined;

  admit(req: AdmissionRequest): AdmissionTicket {
    return admitWith(this.backend, req, this.metrics) as AdmissionTicket;
  }

  async check(): Promise<void> {}

  async close(): Promise<void> {
    this.store.close();
  }
}
