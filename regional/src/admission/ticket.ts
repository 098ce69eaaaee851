/**
 * The part both implementations share: plan the scopes, ask a backend to reserve, turn a rejection into a
 * catalogue error, and hand out a ticket whose settle() runs once.
 */
import { EMPTY_STATUS, rateLimitHeaders, rejection } from './headers.js';
import { planAdmission, toMicro } from './plan.js';
import type { AdmissionPlan } from './plan.js';
import type { AdmissionMetrics, AdmissionRequest, AdmissionTicket, SettleUsage, Verdict } from './types.js';

export interface LimiterBackend {
  reserve(plan: AdmissionPlan, req: AdmissionRequest): Verdict | Promise<Verdict>;
  /** `plan` is re-made at settle time (the budget period may have moved on). Must not throw. */
  settle(plan: AdmissionPlan, req: AdmissionRequest, actualTokens: number, actualMicro: number): void | Promise<void>;
}

const NOOP_TICKET: AdmissionTicket = Object.freeze({ headers: Object.freeze({}), settle: () => undefined });

class Ticket implements AdmissionTicket {
  private settled = false;
  constructor(
    readonly headers: Readonly<Record<string, string>>,
    private readonly backend: LimiterBackend,
    private readonly req: AdmissionRequest,
  ) {}

  settle(usage: SettleUsage): void | Promise<void> {
    if (this.settled) return;
    this.settled = true;
    const tokens = Math.max(0, Math.round((usage.promptTokens || 0) + (usage.completionTokens || 0)));
    return this.backend.settle(planAdmission(this.req, Date.now()), this.req, tokens, toMicro(usage.costUsd, false));
  }
}

function decide(v: Verdict, plan: AdmissionPlan, backend: LimiterBackend, req: AdmissionRequest, metrics: AdmissionMetrics | undefined): AdmissionTicket {
  if (!v.ok) {
    const scope = plan.scopes[v.scope];
    if (scope) metrics?.rejected?.(v.kind, scope.kind);
    throw rejection(v, plan);
  }
  return new Ticket(v.status === EMPTY_STATUS ? {} : rateLimitHeaders(v.status), backend, req);
}

/** Admit through a backend; synchronous when the backend answers synchronously. */
export function admitWith(backend: LimiterBackend, req: AdmissionRequest, metrics?: AdmissionMetrics): AdmissionTicket | Promise<AdmissionTicket> {
  const plan = planAdmission(req, Date.now());
  if (plan.scopes.length === 0) return NOOP_TICKET;
  const v = backend.reserve(plan, req);
  if (v instanceof Promise) return v.then((x) => decide(x, plan, backend, req, metrics));
  return decide(v, plan, backend, req, metrics);
}
