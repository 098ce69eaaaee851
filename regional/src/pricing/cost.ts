/** The cost of one request from the upstream's reported usage. */
import type { Deployment, Usage } from '../providers/adapter.js';
import { DEFAULT_PRICES, normaliseModel, priceFromEntry, type ModelPrice } from './price-table.js';

export class PriceBook {
  private readonly keys: string[];
  private readonly cache = new Map<string, ModelPrice | null>();

  /**
   * @param overrides prices from config by model name (public or upstream); they win over the defaults.
   * @example new PriceBook({ 'my-finetune': { input: 3, output: 12 } })
   */
  constructor(
    overrides: Readonly<Record<string, ModelPrice>> = {},
    private readonly table: Readonly<Record<string, ModelPrice>> = { ...DEFAULT_PRICES, ...normaliseKeys(overrides) },
  ) {
    // Longest key first, so `gpt-4o-mini` wins over `gpt-4o`.
    this.keys = Object.keys(this.table).sort((a, b) => b.length - a.length);
  }

  /** The price for a model name, by exact match then longest prefix of the normalised name. */
  priceOf(model: string): ModelPrice | undefined {
    const hit = this.cache.get(model);
    if (hit !== undefined) return hit ?? undefined;
    const n = normaliseModel(model);
    let found: ModelPrice | undefined = this.table[n];
    if (!found) {
      const key = this.keys.find((k) => n.startsWith(k) && (n.length === k.length || /[-.:@_]/.test(n.charAt(k.length))));
      found = key ? this.table[key] : undefined;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(model, found ?? null);
    return found;
  }

  /**
   * Cost in USD of one request. A deployment's `options.pricing` (same shape as ModelPrice) wins; then the
   * public model name; then the upstream model. Returns undefined when no price is known.
   */
  costOf(usage: Usage, deployment?: Pick<Deployment, 'upstreamModel' | 'options'>, publicModel?: string): number | undefined {
    const price = this.priceFor(deployment, publicModel);
    return price ? costWith(price, usage) : undefined;
  }

  /** The same cost as costOf, per token kind (USD); undefined when no price is known. */
  costByKindOf(usage: Usage, deployment?: Pick<Deployment, 'upstreamModel' | 'options'>, publicModel?: string): CostByKind | undefined {
    const price = this.priceFor(deployment, publicModel);
    return price ? costByKindWith(price, usage) : undefined;
  }

  /** The price that applies: the deployment's `options.pricing`, then the public model, then the upstream model. */
  priceFor(deployment?: Pick<Deployment, 'upstreamModel' | 'options'>, publicModel?: string): ModelPrice | undefined {
    return deploymentPrice(deployment) ?? (publicModel ? this.priceOf(publicModel) : undefined) ?? (deployment ? this.priceOf(deployment.upstreamModel) : undefined);
  }
}

function normaliseKeys(o: Readonly<Record<string, ModelPrice>>): Record<string, ModelPrice> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [normaliseModel(k), v]));
}

function deploymentPrice(d: Pick<Deployment, 'options'> | undefined): ModelPrice | undefined {
  return d?.options?.pricing === undefined ? undefined : priceFromEntry(d.options.pricing);
}

/**
 * Cost in USD of one request's usage at one price: every token kind at its own price, plus the media units
 * (seconds of audio, characters, images) at theirs. Computed as a sum of micro-dollars (a price per 1M tokens
 * is micro-dollars per token), so the figure matches a provider's bill.
 */
export function costWith(price: ModelPrice, u: Usage): number {
  const m = microsByKind(price, u);
  return (m.input + m.cachedInput + m.cacheWrite + m.output + m.reasoning + mediaMicros(price, u)) / 1_000_000;
}

/**
 * USD per token kind of one request. The kinds partition the usage: `input` prices the prompt tokens neither
 * read from nor written to a cache, `cacheWrite` both write lifetimes, `output` the completion tokens that are
 * not reasoning. Their sum is costWith's figure (the same micro-dollar terms).
 */
export interface CostByKind {
  input: number;
  cachedInput: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
}

export function costByKindWith(price: ModelPrice, u: Usage): CostByKind | undefined {
  // Media units (audio seconds, characters, images) are not token kinds: such a request carries its units in the
  // event and its cost in costUsd, without a token breakdown that would not add up to it.
  if (u.audioSeconds || u.characters || u.images) return undefined;
  const m = microsByKind(price, u);
  return { input: m.input / 1e6, cachedInput: m.cachedInput / 1e6, cacheWrite: m.cacheWrite / 1e6, output: m.output / 1e6, reasoning: m.reasoning / 1e6 };
}

/** Micro-dollars per kind: the one place where tokens meet prices. */
function microsByKind(price: ModelPrice, u: Usage): CostByKind {
  const prompt = Math.max(0, u.promptTokens);
  const cached = clamp(u.cachedPromptTokens, prompt);
  const written = clamp(u.cacheWriteTokens, prompt - cached);
  const written1h = clamp(u.cacheWrite1hTokens, written);
  const fresh = prompt - cached - written;
  const completion = Math.max(0, u.completionTokens);
  const reasoning = clamp(u.reasoningTokens, completion);
  const writePrice = price.cacheWrite ?? price.input;
  return {
    input: fresh * price.input,
    cachedInput: cached * (price.cachedInput ?? price.input),
    cacheWrite: (written - written1h) * writePrice + written1h * (price.cacheWrite1h ?? writePrice),
    output: (completion - reasoning) * price.output,
    reasoning: reasoning * (price.reasoning ?? price.output),
  };
}

/**
 * Micro-dollars of the media units. Audio is billed per second rounded to the nearest second (OpenAI's rule
 * for whisper-1); a price per 1M characters is micro-dollars per character.
 */
function mediaMicros(price: ModelPrice, u: Usage): number {
  let m = 0;
  if (price.perSecond !== undefined && u.audioSeconds) m += Math.round(Math.max(0, u.audioSeconds)) * price.perSecond * 1_000_000;
  if (price.perMillionCharacters !== undefined && u.characters) m += Math.max(0, u.characters) * price.perMillionCharacters;
  if (price.perImage !== undefined && u.images) m += Math.max(0, u.images) * imagePrice(price.perImage, u.imageVariant) * 1_000_000;
  return Math.round(m * 1000) / 1000;
}

/**
 * The price of one image of a variant: `<quality>/<size>` first, then `<size>`, `<quality>`, `default`; a
 * variant the table does not know (or none given) costs the priciest entry, never less than the bill.
 * @example imagePrice({ '1024x1024': 0.02, '512x512': 0.018 }, '512x512') // 0.018
 */
export function imagePrice(table: Readonly<Record<string, number>>, variant: string | undefined): number {
  if (variant) {
    const v = variant.toLowerCase();
    const slash = v.indexOf('/');
    const candidates = slash < 0 ? [v] : [v, v.slice(slash + 1), v.slice(0, slash)];
    for (const c of candidates) if (table[c] !== undefined) return table[c]!;
  }
  if (table.default !== undefined) return table.default;
  let worst = 0;
  for (const k in table) worst = Math.max(worst, table[k]!);
  return worst;
}

const clamp = (v: number | undefined, max: number): number => Math.min(Math.max(0, v ?? 0), Math.max(0, max));

/** For the `x-skyway-cost-usd` header: fixed-point, no exponent, trailing zeros trimmed. */
export function formatUsd(cost: number): string {
  return cost.toFixed(10).replace(/\.?0+$/, '') || '0';
}
