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
    /** Provider-specific settings (api_version, aws_region, …), validated by the provider adapter. */
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const modelSchema = z
  .object({
    name: z.string().min(1).max(200),
    deployments: z.array(deploymentSchema).min(1, 'a model needs at least one deployment'),
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
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type RawDeployment = z.infer<typeof deploymentSchema>;
