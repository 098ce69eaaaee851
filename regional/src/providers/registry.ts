/** Which adapter serves which `provider:` value of the config. */
import { isOpenAICompatible } from '../config/providers.js';
import type { ProviderAdapter } from './adapter.js';
import { openaiAdapter } from './openai/adapter.js';

const native = new Map<string, ProviderAdapter>();

/** Register a provider that needs translation (Anthropic, Bedrock, …). */
export function registerProvider(name: string, adapter: ProviderAdapter): void {
  native.set(name, adapter);
}

export function nativeProviderNames(): ReadonlySet<string> {
  return new Set(native.keys());
}

export function adapterFor(provider: string): ProviderAdapter {
  if (isOpenAICompatible(provider)) return openaiAdapter;
  const a = native.get(provider);
  if (!a) throw new Error(`no adapter registered for provider '${provider}'`);
  return a;
}
