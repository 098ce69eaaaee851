/** Anthropic deployment options (`options:` in the model config), validated once per deployment. */
import { z } from 'zod';
import type { Deployment } from '../adapter.js';

export const AnthropicOptions = z.object({
  /** `anthropic-version` header. */
  anthropic_version: z.string().default('2023-06-01'),
  /** `anthropic-beta` header values. */
  anthropic_beta: z.union([z.string(), z.array(z.string())]).optional(),
  /** max_tokens sent when the client gives none (Anthropic requires it). */
  default_max_tokens: z.number().int().positive().default(4096),
});
export type AnthropicOptions = z.infer<typeof AnthropicOptions>;

const parsed = new WeakMap<Deployment, AnthropicOptions>();

/** Parse and cache; throws a readable Error naming the deployment (a config error, found at load time). */
export function anthropicOptions(d: Deployment): AnthropicOptions {
  let o = parsed.get(d);
  if (!o) {
    const r = AnthropicOptions.safeParse(d.options ?? {});
    if (!r.success) throw new Error(`deployment '${d.id}' (anthropic): invalid options: ${z.prettifyError(r.error)}`);
    o = r.data;
    parsed.set(d, o);
  }
  return o;
}
