/** Principals and requests for admission tests. */
import type { LimitSet, Principal, BudgetSpec } from '../../auth/principal.js';
import type { AdmissionRequest } from '../types.js';

let seq = 0;

export function principal(keyId: string, opts: { key?: LimitSet; keyBudget?: BudgetSpec; team?: { id: string; limits?: LimitSet; budget?: BudgetSpec }; user?: { id: string; limits?: LimitSet }; model?: Record<string, LimitSet> } = {}): Principal {
  const p: Principal = {
    kind: 'virtual',
    keyId,
    key: { id: keyId, ...(opts.key ? { limits: opts.key } : {}), ...(opts.keyBudget ? { budget: opts.keyBudget } : {}) },
    ...(opts.team ? { team: opts.team } : {}),
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.model ? { modelLimits: opts.model } : {}),
  };
  return p;
}

export function request(p: Principal, o: Partial<Omit<AdmissionRequest, 'principal'>> = {}): AdmissionRequest {
  return {
    requestId: o.requestId ?? `req-${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`,
    principal: p,
    model: o.model ?? 'gpt-4o',
    estimatedPromptTokens: o.estimatedPromptTokens ?? 10,
    maxCompletionTokens: o.maxCompletionTokens ?? 10,
    estimatedCostUsd: o.estimatedCostUsd ?? 0.001,
  };
}
