/**
 * The price table: data in prices.json (USD per 1M tokens of each kind, with the source and date of every
 * price), read once at start. Config overrides any entry (`pricing:` in the model config, or a deployment's
 * `options.pricing`); a model missing everywhere costs 0 and is reported as unpriced.
 *
 * Keys are matched against a normalised model name (see normaliseModel) by longest prefix, so dated
 * versions (`claude-sonnet-4-5-20250929`) and Bedrock ids (`us.anthropic.claude-…-v1:0`) find their family.
 */
import table from './prices.json' with { type: 'json' };

export interface ModelPrice {
  /** USD per 1M prompt tokens neither read from nor written to a cache. */
  input: number;
  /** USD per 1M completion tokens (reasoning included unless `reasoning` is set). */
  output: number;
  /** USD per 1M prompt tokens read from the provider's cache (default: input). */
  cachedInput?: number;
  /** USD per 1M prompt tokens written to the provider's cache (default: input). */
  cacheWrite?: number;
  /** USD per 1M prompt tokens written to the cache with a 1-hour lifetime (default: cacheWrite). */
  cacheWrite1h?: number;
  /** USD per 1M reasoning tokens (default: output). */
  reasoning?: number;
}

/** One entry as written in prices.json and in config (snake_case). */
export interface PriceEntry {
  input: number;
  output: number;
  cached_input?: number;
  cache_write?: number;
  cache_write_1h?: number;
  reasoning?: number;
  source?: string;
  as_of?: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/**
 * A price from config or the JSON table; snake_case as in the files, camelCase accepted too. Undefined when
 * `input` or `output` is missing.
 */
export function priceFromEntry(raw: unknown): ModelPrice | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const e = raw as Record<string, unknown>;
  const input = num(e.input);
  const output = num(e.output);
  if (input === undefined || output === undefined) return undefined;
  const p: ModelPrice = { input, output };
  const cachedInput = num(e.cached_input ?? e.cachedInput);
  const cacheWrite = num(e.cache_write ?? e.cacheWrite);
  const cacheWrite1h = num(e.cache_write_1h ?? e.cacheWrite1h);
  const reasoning = num(e.reasoning);
  if (cachedInput !== undefined) p.cachedInput = cachedInput;
  if (cacheWrite !== undefined) p.cacheWrite = cacheWrite;
  if (cacheWrite1h !== undefined) p.cacheWrite1h = cacheWrite1h;
  if (reasoning !== undefined) p.reasoning = reasoning;
  return p;
}

function loadTable(models: Readonly<Record<string, PriceEntry>>): Record<string, ModelPrice> {
  const out: Record<string, ModelPrice> = {};
  for (const [k, v] of Object.entries(models)) {
    const p = priceFromEntry(v);
    if (!p) throw new Error(`prices.json: model '${k}' needs numeric input and output prices`);
    out[k] = p;
  }
  return out;
}

/** The built-in list prices, keyed by normalised model name. */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = loadTable(table.models as Record<string, PriceEntry>);

/** Where and when each built-in price was read (for the README and audits). */
export function priceSource(model: string): { source?: string; as_of?: string } | undefined {
  const e = (table.models as Record<string, PriceEntry>)[model];
  return e ? { source: e.source, as_of: e.as_of } : undefined;
}

/**
 * `us.anthropic.claude-3-5-sonnet-20241022-v2:0` → `claude-3-5-sonnet-20241022`; `models/gemini-2.5-flash`
 * → `gemini-2.5-flash`; `us.amazon.nova-pro-v1:0` → `amazon.nova-pro`; `claude-sonnet-4-5@20250929` (Vertex)
 * → `claude-sonnet-4-5-20250929`. Lower-cased.
 */
export function normaliseModel(model: string): string {
  let m = model.toLowerCase().trim();
  m = m.replace(/^models\//, '');
  m = m.replace(/^(?:[a-z]{2,6})\.(?=[a-z]+\.)/, ''); // Bedrock cross-region prefix (us., eu., apac., global.)
  m = m.replace(/^anthropic\./, '');
  m = m.replace(/-v\d+(?::\d+)?$/, ''); // Bedrock version suffix
  m = m.replace(/@/, '-'); // Vertex version separator
  return m;
}
