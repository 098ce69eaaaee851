/**
 * Providers that speak the OpenAI API, with their default base URLs. Any of them may be given another
 * `api_base`; `openai_compatible`, `vllm` and `ollama` point at servers the operator runs.
 */
export const OPENAI_COMPATIBLE_BASES: Readonly<Record<string, string | undefined>> = Object.freeze({
  openai: 'https://api.openai.com/v1',
  groq: 'https://api.groq.com/openai/v1',
  together: 'https://api.together.xyz/v1',
  deepseek: 'https://api.deepseek.com/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  mistral: 'https://api.mistral.ai/v1',
  fireworks: 'https://api.fireworks.ai/inference/v1',
  xai: 'https://api.x.ai/v1',
  ollama: 'http://127.0.0.1:11434/v1',
  vllm: undefined,
  openai_compatible: undefined,
});

export function isOpenAICompatible(provider: string): boolean {
  return Object.hasOwn(OPENAI_COMPATIBLE_BASES, provider);
}
