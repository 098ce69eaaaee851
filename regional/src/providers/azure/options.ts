/** Azure OpenAI deployment options (`options:` in the model config), validated once per deployment. */
import { z } from 'zod';
import type { Deployment } from '../adapter.js';

export const AzureOptions = z
  .object({
    /** `api-version` query parameter; `v1` selects the version-less /openai/v1/ API (model in the body). */
    api_version: z.string().regex(/^(v1|\d{4}-\d{2}-\d{2}(-preview)?)$/).default('2024-10-21'),
    /** Azure deployment name (default: the deployment's upstream model). */
    deployment: z.string().regex(/^[\w.-]+$/).optional(),
    /** `api_key` (default): api_key is sent as `api-key`. `entra`: a Microsoft Entra ID token from the client
     *  credentials flow (tenant_id, client_id; api_key holds the client secret). `entra_token`: api_key is
     *  already an Entra bearer token (refreshed outside Skyway). */
    auth: z.enum(['api_key', 'entra', 'entra_token']).default('api_key'),
    tenant_id: z.string().optional(),
    client_id: z.string().optional(),
    /** Token endpoint host (sovereign clouds, tests). */
    authority_host: z.string().url().default('https://login.microsoftonline.com'),
    entra_scope: z.string().default('https://cognitiveservices.azure.com/.default'),
  })
  .refine((o) => o.auth !== 'entra' || (o.tenant_id && o.client_id), { message: 'auth: entra needs tenant_id and client_id' });
export type AzureOptions = z.infer<typeof AzureOptions>;

const parsed = new WeakMap<Deployment, AzureOptions>();

export function azureOptions(d: Deployment): AzureOptions {
  let o = parsed.get(d);
  if (o) return o;
  const r = AzureOptions.safeParse(d.options ?? {});
  if (!r.success) throw new Error(`deployment '${d.id}' (azure): invalid options: ${z.prettifyError(r.error)}`);
  if (!d.apiBase) throw new Error(`deployment '${d.id}' (azure): set api_base to https://<resource>.openai.azure.com`);
  if (!d.apiKey) throw new Error(`deployment '${d.id}' (azure): api_key is required (the key, the client secret, or the token)`);
  o = r.data;
  parsed.set(d, o);
  return o;
}
