/**
 * List prices in USD per million tokens (input, output, cached input) for the providers' common models, as
 * published by the providers when this table was written. Config overrides any entry (`pricing:` in the
 * model config); a model missing here costs 0 and is reported as unpriced.
 *
 * Keys are matched against a normalised model name (see normaliseModel) by longest prefix, so dated
 * versions (`claude-sonnet-4-5-20250929`) and Bedrock ids (`us.anthropic.claude-…-v1:0`) find their family.
 */
export interface ModelPrice {
  /** USD per 1M prompt tokens not read from cache. */
  input: number;
  /** USD per 1M completion tokens (reasoning/thinking included). */
  output: number;
  /** USD per 1M prompt tokens read from the provider's cache (default: input). */
  cachedInput?: number;
}

export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  // OpenAI (and Azure OpenAI, same list prices)
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  // Anthropic (and Anthropic models on Bedrock, same list prices in the main regions)
  'claude-opus-4-5': { input: 5, output: 25, cachedInput: 0.5 },
  'claude-opus-4': { input: 15, output: 75, cachedInput: 1.5 },
  'claude-sonnet-4': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-3-7-sonnet': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-3-5-sonnet': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cachedInput: 0.08 },
  'claude-3-haiku': { input: 0.25, output: 1.25, cachedInput: 0.03 },
  // Google Gemini (prompts up to 200k tokens for 2.5 Pro)
  'gemini-2.5-pro': { input: 1.25, output: 10, cachedInput: 0.31 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cachedInput: 0.075 },
  'gemini-2.0-flash-lite': { input: 0.075, output: 0.3 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  // Bedrock-only families (on-demand, us-east-1)
  'amazon.nova-premier': { input: 2.5, output: 12.5, cachedInput: 0.625 },
  'amazon.nova-pro': { input: 0.8, output: 3.2, cachedInput: 0.2 },
  'amazon.nova-lite': { input: 0.06, output: 0.24, cachedInput: 0.015 },
  'amazon.nova-micro': { input: 0.035, output: 0.14, cachedInput: 0.00875 },
  'meta.llama3-3-70b-instruct': { input: 0.72, output: 0.72 },
  'meta.llama3-1-405b-instruct': { input: 2.4, output: 2.4 },
  'meta.llama3-1-70b-instruct': { input: 0.72, output: 0.72 },
  'meta.llama3-1-8b-instruct': { input: 0.22, output: 0.22 },
  'mistral.mistral-large-2407': { input: 2, output: 6 },
  'mistral.mistral-large-2402': { input: 4, output: 12 },
  'mistral.mistral-small-2402': { input: 1, output: 3 },
  'mistral.mixtral-8x7b-instruct': { input: 0.45, output: 0.7 },
  'mistral.mistral-7b-instruct': { input: 0.15, output: 0.2 },
};

/**
 * `us.anthropic.claude-3-5-sonnet-20241022-v2:0` → `claude-3-5-sonnet-20241022`; `models/gemini-2.5-flash`
 * → `gemini-2.5-flash`; `us.amazon.nova-pro-v1:0` → `amazon.nova-pro`. Lower-cased.
 */
export function normaliseModel(model: string): string {
  let m = model.toLowerCase().trim();
  m = m.replace(/^models\//, '');
  m = m.replace(/^(?:[a-z]{2,6})\.(?=[a-z]+\.)/, ''); // Bedrock cross-region prefix (us., eu., apac., global.)
  m = m.replace(/^anthropic\./, '');
  m = m.replace(/-v\d+(?::\d+)?$/, ''); // Bedrock version suffix
  return m;
}
