/**
 * From a validated request to the admission check: decides whether any limit applies to the principal, and
 * only then counts prompt tokens (for TPM and budgets) and estimates the worst-case cost. A principal without
 * limits (the master key, an unlimited key) costs nothing here.
 */
import type { Admission, AdmissionTicket } from './index.js';
import type { LimitSet, Principal } from '../auth/principal.js';
import type { Operation } from '../providers/adapter.js';
import { ModelPriceUnknown } from '../errors/catalogue.js';
import { countPromptTokens, countTextTokens } from '../tokens/index.js';
import { imagePrice } from '../pricing/cost.js';

/** The price used to estimate a request's worst case (USD per 1M tokens), by public model name. */
export type PriceLookup = (model: string) => { input: number; output: number; perImage?: Readonly<Record<string, number>> } | undefined;

function hasLimits(l: LimitSet | undefined): boolean {
  return !!l && (l.rpm !== undefined || l.tpm !== undefined || l.maxParallel !== undefined);
}

export interface AdmissionNeeds {
  any: boolean;
  tokens: boolean;
  cost: boolean;
}

/** Principals are immutable and cached by the authenticator: their needs per model are worked out once. */
const needsCache = new WeakMap<Principal, Map<string, AdmissionNeeds>>();

/** Which inputs the admission of this principal needs for this model. */
export function admissionNeeds(p: Principal, model: string): AdmissionNeeds {
  let byModel = needsCache.get(p);
  if (!byModel) needsCache.set(p, (byModel = new Map()));
  let needs = byModel.get(model);
  if (!needs) {
    const scopes = [p.key, p.team, p.user];
    const modelLimits = p.modelLimits?.[model];
    const cost = scopes.some((s) => s?.budget !== undefined);
    const tokens = cost || scopes.some((s) => s?.limits?.tpm !== undefined) || modelLimits?.tpm !== undefined;
    needs = { any: cost || tokens || scopes.some((s) => hasLimits(s?.limits)) || hasLimits(modelLimits), tokens, cost };
    byModel.set(model, needs);
  }
  return needs;
}

/** Prompt tokens of a request (counted with the model family's tokenizer). */
export function promptOf(op: Operation, model: string, body: Record<string, unknown>): number | Promise<number> {
  if (op === 'chat' && Array.isArray(body.messages)) return countPromptTokens(model, body.messages);
  const input = op === 'completions' ? body.prompt : body.input;
  if (typeof input === 'string') return countTextTokens(model, input);
  if (Array.isArray(input) && input.every((x) => typeof x === 'string')) return countTextTokens(model, input.join('\n'));
  // token arrays (pre-tokenised input): their length is the count
  if (Array.isArray(input)) return input.reduce<number>((n, x) => n + (Array.isArray(x) ? x.length : 1), 0);
  return 0;
}

/** Completion tokens to reserve: max tokens (or the default) times the completions the upstream generates. */
export function maxCompletion(op: Operation, body: Record<string, unknown>, fallback: number): number {
  if (op === 'embeddings') return 0;
  const m = body.max_completion_tokens ?? body.max_tokens;
  const n = typeof m === 'number' && m > 0 ? m : fallback;
  // The upstream generates (and bills) best_of completions on /v1/completions even when it returns n of them.
  const count = (v: unknown) => (typeof v === 'number' && v > 1 ? v : 1);
  return n * Math.max(count(body.n), count(body.best_of));
}

/**
 * The models a request may be served by: the requested one and those of its fallbacks (`reachable`, requested
 * first) that the key may use and, when a budget applies, that have a price. A budget-limited key cannot use a
 * model without a price at all (ModelPriceUnknown): its spend could not be limited. Returns `reachable` itself
 * when nothing is filtered.
 */
export function servableModels(p: Principal, model: string, reachable: readonly string[], prices: PriceLookup): readonly string[] {
  const cost = admissionNeeds(p, model).cost;
  if (cost && !prices(model)) throw new ModelPriceUnknown(model);
  const allowed = p.allowedModels;
  if (!allowed && !cost) return reachable;
  const out = reachable.filter((m) => m === model || ((!allowed || allowed.has(m)) && (!cost || prices(m) !== undefined)));
  return out.length === reachable.length ? reachable : out;
}

/** The priciest of `models` (by input + output price): what a request that may be served by any of them reserves. */
function worstPrice(models: readonly string[], prices: PriceLookup): { input: number; output: number } | undefined {
  let worst: { input: number; output: number } | undefined;
  for (const m of models) {
    const p = prices(m);
    if (p && (!worst || p.input + p.output > worst.input + worst.output)) worst = p;
  }
  return worst;
}

export interface AdmitInput {
  admission: Admission;
  principal: Principal;
  requestId: string;
  op: Operation;
  model: string;
  /** Every model the plan may serve (servableModels): the reservation covers the priciest. */
  models: readonly string[];
  body: Record<string, unknown>;
  prices: PriceLookup;
  defaultMaxTokens: number;
}

/** Admit the request, or return undefined when no limit applies. Throws the admission's 429/503 errors. */
export function admitRequest(a: AdmitInput): AdmissionTicket | Promise<AdmissionTicket> | undefined {
  const needs = admissionNeeds(a.principal, a.model);
  if (!needs.any) return undefined;
  const maxCompletionTokens = maxCompletion(a.op, a.body, a.defaultMaxTokens);
  const admit = (prompt: number) => {
    const price = needs.cost ? worstPrice(a.models.length ? a.models : [a.model], a.prices) : undefined;
    return a.admission.admit({
      requestId: a.requestId,
      principal: a.principal,
      model: a.model,
      estimatedPromptTokens: prompt,
      maxCompletionTokens,
      estimatedCostUsd: (price ? (prompt * price.input + maxCompletionTokens * price.output) / 1_000_000 : 0) + (needs.cost && a.op === 'images' ? imagesWorstUsd(a) : 0),
    });
  };
  if (!needs.tokens) return admit(0);
  const prompt = promptOf(a.op, a.model, a.body);
  return typeof prompt === 'number' ? admit(prompt) : prompt.then(admit);
}

/** The most images a generation can return (OpenAI's `n` maximum). */
const MAX_IMAGES = 10;

/**
 * The per-image part of an image generation's worst case: `n` images (1 when absent) at the priciest per-image
 * price of every model the plan may reach, for the request's size and quality when it names both, else the
 * priciest variant.
 */
export function imagesWorstUsd(a: Pick<AdmitInput, 'model' | 'models' | 'body' | 'prices'>): number {
  const nRaw = a.body.n;
  const n = typeof nRaw === 'number' && Number.isInteger(nRaw) && nRaw > 0 ? Math.min(nRaw, MAX_IMAGES) : 1;
  const size = typeof a.body.size === 'string' && a.body.size !== 'auto' ? a.body.size : undefined;
  const quality = typeof a.body.quality === 'string' && a.body.quality !== 'auto' ? a.body.quality : undefined;
  const variant = size && quality ? `${quality}/${size}` : undefined;
  let worst = 0;
  for (const m of a.models.length ? a.models : [a.model]) {
    const table = a.prices(m)?.perImage;
    if (table) worst = Math.max(worst, imagePrice(table, variant));
  }
  return n * worst;
}
