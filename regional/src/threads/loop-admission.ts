/**
 * Admission for an extra event loop when the limiter is in process (no Redis): every admit and settle goes to
 * the main thread's one MemoryAdmission, so RPM/TPM/parallel/budget stay exact across loops. The cost is one
 * message hop each way, batched per event-loop turn (see loadtest/README.md for the measured figure).
 */
import type { Admission, AdmissionRequest, AdmissionTicket, SettleUsage } from '../admission/types.js';
import { BudgetExceeded, InternalError, RateLimited, ServiceUnavailable, type GatewayError } from '../errors/catalogue.js';
import type { Outbox } from './outbox.js';
import type { LoopMessage, RefusalWire } from './protocol.js';

interface Pending {
  resolve(t: AdmissionTicket): void;
  reject(err: GatewayError): void;
}

/** The catalogue class the main thread's admission threw, rebuilt with the same message, code and headers. */
export function refusalToError(w: RefusalWire): GatewayError {
  switch (w.name) {
    case 'RateLimited':
      return new RateLimited(w.message, w.headers ?? {}, w.code);
    case 'BudgetExceeded':
      return new BudgetExceeded(w.message, w.headers);
    case 'ServiceUnavailable':
      return new ServiceUnavailable(w.message, w.code);
    default:
      return new InternalError(w.message);
  }
}

export class LoopAdmission implements Admission {
  readonly #out: Outbox<LoopMessage>;
  readonly #pending = new Map<number, Pending>();
  #next = 1;

  constructor(out: Outbox<LoopMessage>) {
    this.#out = out;
  }

  admit(req: AdmissionRequest): Promise<AdmissionTicket> {
    const id = this.#next++;
    this.#out.push({ t: 'admit', id, req });
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** The main thread's answer to an admit. */
  answer(id: number, headers: Readonly<Record<string, string>> | undefined, refusal: RefusalWire | undefined): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    if (refusal) return p.reject(refusalToError(refusal));
    let settled = false;
    p.resolve({
      headers: headers ?? {},
      settle: (usage: SettleUsage) => {
        if (settled) return;
        settled = true;
        this.#out.push({ t: 'settle', id, usage });
      },
    });
  }

  async close(): Promise<void> {
    this.#out.flush();
    for (const p of this.#pending.values()) p.reject(new ServiceUnavailable('The gateway is shutting down.', 'draining'));
    this.#pending.clear();
  }
}
