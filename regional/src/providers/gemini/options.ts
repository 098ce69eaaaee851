/** Gemini deployment options (`options:` in the model config), validated once per deployment. */
import { z } from 'zod';
import type { Deployment } from '../adapter.js';

export const GeminiOptions = z.object({
  /** API version path segment. */
  api_version: z.enum(['v1beta', 'v1', 'v1alpha']).default('v1beta'),
});
export type GeminiOptions = z.infer<typeof GeminiOptions>;

export const DEFAULT_GEMINI_BASE = 'https://generativelanguage.googleapis.com';

const parsed = new WeakMap<Deployment, GeminiOptions>();

export function geminiOptions(d: Deployment): GeminiOptions {
  let o = parsed.get(d);
  if (o) return o;
  const r = GeminiOptions.safeParse(d.options ?? {});
  if (!r.success) throw new Error(`deployment '${d.id}' (gemini): invalid options: ${z.prettifyError(r.error)}`);
  if (!d.apiKey) throw new Error(`deployment '${d.id}' (gemini): api_key is required`);
  o = r.data;
  parsed.set(d, o);
  return o;
}
