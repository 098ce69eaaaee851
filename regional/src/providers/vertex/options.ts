/** Vertex AI deployment options (`options:` in the model config), validated once per deployment. */
import { z } from 'zod';
import type { Deployment } from '../adapter.js';

export const VertexOptions = z.object({
  /** Google Cloud project id. */
  project: z.string().min(1),
  /** Region of the endpoint (`us-central1`, `europe-west1`, …) or `global`. */
  location: z.string().min(1).default('us-central1'),
  /** Model publisher; default: `anthropic` for `claude-*` models, else `google`. */
  publisher: z.enum(['google', 'anthropic']).optional(),
  /** `anthropic_version` in the body of Anthropic models (Vertex's own version string). */
  anthropic_version: z.string().default('vertex-2023-10-16'),
  /** max_tokens sent to Anthropic models when the client gives none (Anthropic requires it). */
  default_max_tokens: z.number().int().positive().default(4096),
  /**
   * A Google credentials JSON file: a service-account key, or an `external_account` configuration (workload
   * identity federation, e.g. from AWS). Default: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
   * or the metadata server on Google Cloud).
   */
  credentials_file: z.string().min(1).optional(),
});
export type VertexOptions = z.infer<typeof VertexOptions>;

export interface ResolvedVertex extends VertexOptions {
  publisher: 'google' | 'anthropic';
  /** `https://<location>-aiplatform.googleapis.com` (or `https://aiplatform.googleapis.com` for global) unless api_base is set. */
  baseUrl: string;
  /** `/v1/projects/<project>/locations/<location>/publishers/<publisher>/models/<model>` */
  modelPath: string;
}

const parsed = new WeakMap<Deployment, ResolvedVertex>();

export function vertexOptions(d: Deployment): ResolvedVertex {
  let o = parsed.get(d);
  if (o) return o;
  const r = VertexOptions.safeParse(d.options ?? {});
  if (!r.success) throw new Error(`deployment '${d.id}' (vertex): invalid options: ${z.prettifyError(r.error)}`);
  const publisher = r.data.publisher ?? (/^claude/i.test(d.upstreamModel) ? 'anthropic' : 'google');
  const host = r.data.location === 'global' ? 'aiplatform.googleapis.com' : `${r.data.location}-aiplatform.googleapis.com`;
  const model = encodeURIComponent(d.upstreamModel.replace(/^models\//, ''));
  o = {
    ...r.data,
    publisher,
    baseUrl: d.apiBase || `https://${host}`,
    modelPath: `/v1/projects/${encodeURIComponent(r.data.project)}/locations/${encodeURIComponent(r.data.location)}/publishers/${publisher}/models/${model}`,
  };
  parsed.set(d, o);
  return o;
}
