/** Which adapter serves which `provider:` value of the config. */
import { isOpenAICompatible } from '../config/providers.js';
import type { Deployment, ProviderAdapter } from './adapter.js';
import anthropic from './anthropic/index.js';
import azure from './azure/index.js';
import bedrock from './bedrock/index.js';
import gemini from './gemini/index.js';
import { openaiAdapter } from './openai/adapter.js';
import vertex from './vertex/index.js';

const native = new Map<string, ProviderAdapter>([
  ['anthropic', anthropic],
  ['bedrock', bedrock],
  ['azure', azure],
  ['gemini', gemini],
  ['vertex', vertex],
]);

export function nativeProviderNames(): ReadonlySet<string> {
  return new Set(native.keys());
}

export function adapterFor(provider: string): ProviderAdapter {
  if (isOpenAICompatible(provider)) return openaiAdapter;
  const a = native.get(provider);
  if (!a) throw new Error(`no adapter registered for provider '${provider}'`);
  return a;
}

/** The adapter's own check of a deployment's options, run at config load so mistakes stop the start. */
export function validateDeployment(d: Deployment): void {
  adapterFor(d.provider).validateDeployment?.(d);
}
