/**
 * The price table: data in prices.json (USD per 1M tokens of each kind, and for the media endpoints USD per
 * second of audio, per 1M characters of speech input, per image by size/quality; with the source and date of
 * every price), read once at start. Config overrides any entry (`pricing:` in the model config, or a deployment's
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
  /** USD per second of audio transcribed or translated (prices.json may say `per_minute`). */
  perSecond?: number;
  /** USD per 1M characters of text turned into speech. */
  perMillionCharacters?: number;
  /**
   * USD per image, by variant (`<quality>/<size>`, `<size>`, `<quality>`, or `default`); see imagePrice.
   * An image of a variant not listed costs the priciest listed one (never less than the bill).
   */
  perImage?: Readonly<Record<string, number>>;
}

/** One entry as written in prices.json and in config (snake_case). Token prices may be left out of a media-only entry. */
export interface PriceEntry {
  input?: number;
  output?: number;
  cached_input?: number;
  cache_write?: number;
  cache_write_1h?: number;
  reasoning?: number;
  per_second?: number;
  per_minute?: number;
  per_1m_characters?: number;
  /** One price for every image, or prices by variant. */
  per_image?: number | Record<string, number>;
  source?: string;
  as_of?: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

function perImageOf(v: unknown): Record<string, number> | undefined {
  const single = num(v);
  if (single !== undefined) return { default: single };
  if (!v || typeof v !== 'object') return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = num(x);
    if (n !== undefined) out[k.toLowerCase()] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * A price from config or the JSON table; snake_case as in the files, camelCase accepted too. Undefined when
 * `input` or `output` is missing, unless the entry has a media price (per second, character or image): then
 * missing token prices are 0.
 */
export function priceFromEntry(raw: unknown): ModelPrice | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const e = raw as Record<string, unknown>;
  const perMinute = num(e.per_minute ?? e.perMinute);
  const perSecond = num(e.per_second ?? e.perSecond) ?? (perMinute === undefined ? undefined : perMinute / 60);
  const perMillionCharacters = num(e.per_1m_characters ?? e.perMillionCharacters);
  const perImage = perImageOf(e.per_image ?? e.perImage);
  const media = perSecond !== undefined || perMillionCharacters !== undefined || perImage !== undefined;
  const input = num(e.input) ?? (media ? 0 : undefined);
  const output = num(e.output) ?? (media ? 0 : undefined);
  if (input === undefined || output === undefined) return undefined;
  const p: ModelPrice = { input, output };
  if (perSecond !== undefined) p.perSecond = perSecond;
  if (perMillionCharacters !== undefined) p.perMillionCharacters = perMillionCharacters;
  if (perImage !== undefined) p.perImage = perImage;
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
    if (!p) throw new Error(`prices.json: model '${k}' needs numeric input and output prices (or a media price)`);
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
