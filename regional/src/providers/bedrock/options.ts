/** Bedrock deployment options (`options:` in the model config), validated once per deployment. */
import { z } from 'zod';
import type { Deployment } from '../adapter.js';

export const BedrockOptions = z
  .object({
    /** AWS region of the bedrock-runtime endpoint (required unless api_base names it). */
    aws_region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/).optional(),
    /** `sigv4` (default: credentials from the AWS provider chain or the static keys below) or `api_key`
     *  (a Bedrock API key, sent as a bearer token from the deployment's api_key). */
    auth: z.enum(['sigv4', 'api_key']).default('sigv4'),
    /** Named profile for the provider chain (~/.aws/config). */
    aws_profile: z.string().optional(),
    /** Static credentials (prefer the provider chain: task role, env, SSO). */
    aws_access_key_id: z.string().optional(),
    aws_secret_access_key: z.string().optional(),
    aws_session_token: z.string().optional(),
    /** Bedrock guardrail applied to every request. */
    guardrail_identifier: z.string().optional(),
    guardrail_version: z.string().optional(),
    /** Model-specific fields passed as additionalModelRequestFields (e.g. {"top_k": 50}). */
    additional_model_request_fields: z.record(z.string(), z.unknown()).optional(),
    /** max_tokens sent when the client gives none (unset: the model's default). */
    default_max_tokens: z.number().int().positive().optional(),
  })
  .refine((o) => !o.aws_access_key_id === !o.aws_secret_access_key, {
    message: 'aws_access_key_id and aws_secret_access_key go together',
  })
  .refine((o) => !o.guardrail_identifier === !o.guardrail_version, {
    message: 'guardrail_identifier and guardrail_version go together',
  });
export type BedrockOptions = z.infer<typeof BedrockOptions>;

export interface ResolvedBedrock extends BedrockOptions {
  region: string;
  /** `https://bedrock-runtime.<region>.amazonaws.com` unless api_base overrides it. */
  baseUrl: string;
}

const parsed = new WeakMap<Deployment, ResolvedBedrock>();

export function bedrockOptions(d: Deployment): ResolvedBedrock {
  let o = parsed.get(d);
  if (o) return o;
  const r = BedrockOptions.safeParse(d.options ?? {});
  if (!r.success) throw new Error(`deployment '${d.id}' (bedrock): invalid options: ${z.prettifyError(r.error)}`);
  const fromBase = d.apiBase ? /bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com/.exec(d.apiBase)?.[1] : undefined;
  const region = r.data.aws_region ?? fromBase;
  if (!region) throw new Error(`deployment '${d.id}' (bedrock): set options.aws_region`);
  if (r.data.auth === 'api_key' && !d.apiKey) throw new Error(`deployment '${d.id}' (bedrock): auth api_key needs api_key`);
  o = { ...r.data, region, baseUrl: d.apiBase || `https://bedrock-runtime.${region}.amazonaws.com` };
  parsed.set(d, o);
  return o;
}

/** The model family decides which Converse features may be sent. */
export type BedrockFamily = 'anthropic' | 'meta' | 'mistral' | 'amazon' | 'other';

export function bedrockFamily(modelId: string): BedrockFamily {
  // Cross-region inference profiles prefix the id with a geography: us., eu., apac., global., …
  const id = modelId.replace(/^(?:[a-z]{2,6})\.(?=[a-z]+\.)/, '').replace(/^arn:.*\/(?:[a-z]{2,6}\.)?/, '');
  const vendor = id.split('.')[0];
  return vendor === 'anthropic' || vendor === 'meta' || vendor === 'mistral' || vendor === 'amazon' ? vendor : 'other';
}
