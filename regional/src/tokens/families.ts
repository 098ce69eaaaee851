/**
 * Which tokenizer a model uses. Exact BPE for OpenAI families (gpt-tokenizer); for everything else an
 * approximation, because their tokenizers are not public in JS or are too heavy to ship:
 *
 * | family   | models                                                        | method                         |
 * |----------|---------------------------------------------------------------|--------------------------------|
 * | o200k    | gpt-4o, gpt-4.1, gpt-4.5, gpt-5*, o1/o3/o4*, chatgpt-4o, gpt-oss | o200k_base BPE                 |
 * | cl100k   | gpt-3.5*, gpt-4, gpt-4-turbo, gpt-4-32k, text-embedding-*     | cl100k_base BPE                |
 * | approx   | Claude, Gemini, Llama, Mistral, anything else                 | ceil(characters / 4)           |
 *
 * chars/4 is OpenAI's rule of thumb for English; Claude and Llama tokenizers land within about ±25% of it on
 * English prose and higher on code and non-Latin scripts. It is used only for admission estimates, which
 * settlement corrects with the provider's reported usage.
 */
export type TokenizerFamily = 'o200k' | 'cl100k' | 'approx';

const O200K = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o[1-9](-|$)|chatgpt-4o|gpt-oss|codex|computer-use)/;
const CL100K = /^(gpt-3\.5|gpt-35|gpt-4(-|$)|text-embedding-(ada|3))/;

/** The family of a model name; provider prefixes (`openai/`, `azure/`) and dates are ignored. */
export function tokenizerFamily(model: string): TokenizerFamily {
  const m = model.toLowerCase().replace(/^[a-z0-9_-]+\//, '');
  if (O200K.test(m)) return 'o200k';
  if (CL100K.test(m)) return 'cl100k';
  return 'approx';
}

export function approxTokens(chars: number): number {
  return Math.ceil(chars / 4);
}
