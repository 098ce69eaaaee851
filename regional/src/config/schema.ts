/**
 * The gateway's YAML configuration (path in SKYWAY_CONFIG). Validated at start; every error names the exact
 * path (`models[0].deployments[1].api_base`). Provider credentials are never literal values in this file:
 * a deployment names an environment variable (`api_key_env`) or an entry of the secrets file (`api_key_secret`).
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const deploymentSchema = z
  .object({
    /** Stable id used in logs, headers and cooldowns; default `<model name>/<index>`. */
    id: z.string().min(1).max(200).optional(),
    provider: z.string().min(1),
    /** The model name the upstream knows. */
    model: z.string().min(1),
    api_base: z.url({ protocol: /^https?$/ }).optional(),
    api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
    api_key_secret: z.string().min(1).optional(),
    api_key: z.never({ error: 'literal API keys are not accepted in the config file: use api_key_env or api_key_secret' }).optional(),
    weight: z.number().positive().default(1),
    timeout_ms: positiveInt.optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /** Provider-specific settings (api_version, aws_region, pricing, …), validated by the provider adapter. */
    options: z.record(z.string(), z.unknown()).default({}),
    /** The upstream's quota for this deployment: the router does not send more. */
    rpm: positiveInt.optional(),
    tpm: positiveInt.optional(),
  })
  .strict();

export const modelSchema = z
  .object({
    name: z.string().min(1).max(200),
    deployments: z.array(deploymentSchema).min(1, 'a model needs at least one deployment'),
    /** How a deployment is chosen among this model's deployments. */
    strategy: z.enum(['weighted', 'least-busy', 'lowest-latency']).default('weighted'),
    /** Other models to try, in order, when every deployment of this one failed. */
    fallbacks: z.array(z.string().min(1)).optional(),
    /** Prompt tokens this model accepts; longer prompts go to context_window_fallbacks. */
    context_window: positiveInt.optional(),
    context_window_fallbacks: z.array(z.string().min(1)).optional(),
    content_policy_fallbacks: z.array(z.string().min(1)).optional(),
    /** Exact-match response cache for this model (Redis when REDIS_URL is set, else in process). */
    cache: z.object({ ttl_seconds: positiveInt }).strict().optional(),
  })
  .strict();

const price = z.number().nonnegative();
/** USD per 1M tokens of each kind (see regional/src/pricing/prices.json). */
const priceSchema = z
  .object({
    input: price.optional(),
    output: price.optional(),
    cached_input: price.optional(),
    cache_write: price.optional(),
    cache_write_1h: price.optional(),
    reasoning: price.optional(),
    // Media prices (see regional/src/pricing/price-table.ts): per second (or minute) of audio, per 1M characters
    // of speech input, per image (one price or by `<quality>/<size>` variant).
    per_second: price.optional(),
    per_minute: price.optional(),
    per_1m_characters: price.optional(),
    per_image: z.union([price, z.record(z.string(), price)]).optional(),
    source: z.string().optional(),
    as_of: z.string().optional(),
  })
  .strict()
  .refine(
    (p) => (p.input !== undefined && p.output !== undefined) || p.per_second !== undefined || p.per_minute !== undefined || p.per_1m_characters !== undefined || p.per_image !== undefined,
    { message: 'a price needs input and output (USD per 1M tokens) or a media price (per_second, per_minute, per_1m_characters, per_image)' },
  );

export const routerSchema = z
  .object({
    retry: z
      .object({
        max_attempts: positiveInt.optional(),
        same_deployment_retries: z.number().int().nonnegative().optional(),
        base_delay_ms: positiveInt.optional(),
        max_delay_ms: positiveInt.optional(),
        max_retry_after_ms: positiveInt.optional(),
        /** Overall time allowed for a request, retries included. */
        deadline_ms: positiveInt.optional(),
      })
      .strict()
      .default({}),
    cooldown: z
      .object({
        failure_threshold: positiveInt.optional(),
        window_ms: positiveInt.optional(),
        cooldown_ms: positiveInt.optional(),
        probe_timeout_ms: positiveInt.optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export const serverSchema = z
  .object({
    max_body_bytes: positiveInt.optional(),
    upstream_timeout_ms: positiveInt.optional(),
    heartbeat_interval_ms: positiveInt.optional(),
    drain_timeout_ms: positiveInt.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.default({}),
    models: z.array(modelSchema).default([]),
    router: routerSchema.default({ retry: {}, cooldown: {} }),
    /** Prices in USD per 1M tokens by model name (public or upstream), over the built-in table. */
    pricing: z.record(z.string(), priceSchema).default({}),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type RawDeployment = z.infer<typeof deploymentSchema>;
