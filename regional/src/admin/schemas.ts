/**
 * Request and response shapes of the admin API (zod). The same schemas validate requests and generate the
 * OpenAPI document (openapi.ts), so the document cannot drift from what the server accepts.
 */
import { z } from 'zod';

const id = z.string().min(1).max(128);
const modelName = z.string().min(1).max(256);
const when = z.iso.datetime({ offset: true });
const positiveInt = z.number().int().positive();

export const Limits = z.strictObject({ rpm: positiveInt.optional(), tpm: positiveInt.optional(), max_parallel: positiveInt.optional() }).meta({ id: 'Limits' });
export const Budget = z
  .strictObject({
    max_usd: z.number().nonnegative(),
    period: z.enum(['daily', 'weekly', 'monthly', 'none']),
    alert_at: z.array(z.number().gt(0).max(10)).max(10).optional().describe('Soft-alert thresholds as fractions of max_usd, e.g. [0.5, 0.8, 1]'),
  })
  .meta({ id: 'Budget' });
const Metadata = z.record(z.string().max(128), z.string().max(1024));

const keyFields = {
  alias: z.string().min(1).max(128).nullable().optional(),
  team_id: id.nullable().optional(),
  user_id: id.nullable().optional(),
  models: z.array(modelName).max(500).nullable().optional().describe('Public model names this key may use; null or absent = every model'),
  limits: Limits.optional(),
  model_limits: z.record(modelName, Limits).optional(),
  budget: Budget.nullable().optional(),
  expires_at: when.nullable().optional(),
  home_region: z.string().min(1).max(64).nullable().optional(),
  archive_payloads: z.boolean().nullable().optional(),
  metadata: Metadata.optional(),
};
export const KeyCreate = z.strictObject(keyFields).meta({ id: 'KeyCreate' });
export const KeyUpdate = z.strictObject(keyFields).meta({ id: 'KeyUpdate' });
export const KeyRevoke = z.strictObject({ reason: z.string().max(500).optional() }).meta({ id: 'KeyRevoke' });
export const KeyRotate = z.strictObject({ grace_period_seconds: z.number().int().min(0).max(30 * 86400).default(86400) }).meta({ id: 'KeyRotate' });

const page = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(512).optional(),
};
export const KeyListQuery = z.strictObject({
  ...page,
  team_id: id.optional(),
  user_id: id.optional(),
  alias: z.string().optional(),
  model: modelName.optional(),
  status: z.enum(['active', 'revoked', 'expired', 'rotated']).optional(),
});
export const PageQuery = z.strictObject(page);
export const UserListQuery = z.strictObject({ ...page, team_id: id.optional() });
export const DeploymentListQuery = z.strictObject({ ...page, model_name: modelName.optional() });
export const AuditQuery = z.strictObject({ ...page, entity_type: z.enum(['key', 'team', 'user', 'deployment']).optional(), entity_id: id.optional() });

export const TeamCreate = z
  .strictObject({
    name: z.string().min(1).max(128),
    models: z.array(modelName).max(500).nullable().optional(),
    limits: Limits.optional(),
    budget: Budget.nullable().optional(),
    archive_payloads: z.boolean().optional(),
    home_region: z.string().min(1).max(64).nullable().optional().describe("Region every key of the team without its own home_region is served in only"),
    metadata: Metadata.optional(),
  })
  .meta({ id: 'TeamCreate' });
export const TeamUpdate = TeamCreate.partial().meta({ id: 'TeamUpdate' });

export const UserCreate = z
  .strictObject({
    email: z.email().nullable().optional(),
    name: z.string().max(256).nullable().optional(),
    team_id: id.nullable().optional(),
    limits: Limits.optional(),
    budget: Budget.nullable().optional(),
    metadata: Metadata.optional(),
  })
  .meta({ id: 'UserCreate' });
export const UserUpdate = UserCreate.partial().meta({ id: 'UserUpdate' });

const deploymentFields = {
  model_name: modelName,
  provider: z.string().min(1).max(64),
  upstream_model: z.string().min(1).max(256),
  api_base: z.url().max(2048).nullable().optional().describe('https only, except hosts in SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS (and loopback in local mode); never link-local or metadata addresses'),
  api_key: z.string().min(1).max(8192).optional().describe('Write-only: stored envelope-encrypted, never returned'),
  api_key_secret_ref: z.string().min(1).max(2048).optional().describe('AWS Secrets Manager ARN or name holding the credential'),
  weight: z.number().int().min(0).max(1000).optional(),
  timeout_ms: z.number().int().min(100).max(3_600_000).optional(),
  headers: z.record(z.string().max(256), z.string().max(8192)).optional().describe("Extra upstream headers; credential headers (authorization, api-key, x-api-key, …) are write-only and read back as '***'"),
  options: z.record(z.string().max(256), z.unknown()).optional().describe("Provider settings; secret-looking keys (aws_secret_access_key, *token*, *password*, …) are write-only and read back as '***'"),
  enabled: z.boolean().optional(),
};
export const DeploymentCreate = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9._:/-]{1,128}$/).optional(), ...deploymentFields }).meta({ id: 'DeploymentCreate' });
export const DeploymentUpdate = z.strictObject(deploymentFields).partial().extend({ clear_credential: z.boolean().optional() }).meta({ id: 'DeploymentUpdate' });

const day = z.iso.date();
export const SpendQuery = z.strictObject({
  group_by: z.enum(['key', 'team', 'user', 'model', 'day']).default('day'),
  from: day.optional().describe('First day (UTC, inclusive); default 30 days ago'),
  to: day.optional().describe('Last day (UTC, inclusive); default today'),
  key_id: id.optional(),
  team_id: id.optional(),
  user_id: id.optional(),
  model: modelName.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

// ── responses (documentation only; the server builds these objects) ────────────────────────────────────
const stamps = { created_at: when, updated_at: when };
export const KeyObject = z
  .object({
    object: z.literal('virtual_key'),
    id: z.string(),
    hint: z.string(),
    status: z.enum(['active', 'revoked', 'expired', 'rotated']),
    ...keyFields,
    revoked_at: when.nullable(),
    revoked_reason: z.string().nullable(),
    rotated_from: z.string().nullable(),
    replaced_by: z.string().nullable(),
    grace_expires_at: when.nullable(),
    ...stamps,
  })
  .meta({ id: 'VirtualKey' });
export const KeyWithSecret = KeyObject.extend({ key: z.string().describe('The plaintext key: shown once, never again') }).meta({ id: 'VirtualKeyWithSecret' });
export const TeamObject = z.object({ object: z.literal('team'), id: z.string(), ...TeamCreate.shape, ...stamps }).meta({ id: 'Team' });
export const UserObject = z.object({ object: z.literal('user'), id: z.string(), ...UserCreate.shape, ...stamps }).meta({ id: 'User' });
export const DeploymentObject = z
  .object({
    object: z.literal('deployment'),
    id: z.string(),
    ...deploymentFields,
    credential: z.enum(['none', 'encrypted', 'secret_ref']),
    secret_headers: z.array(z.string()).describe("Header names whose values are write-only (shown as '***'; send '***' back to keep them)"),
    secret_options: z.array(z.string()).describe("Option names whose values are write-only (shown as '***')"),
    ...stamps,
  })
  .omit({ api_key: true })
  .meta({ id: 'Deployment' });
/** The usage breakdown (issue 16), in spend rows and request-log rows alike; 0 for usage recorded before it existed. */
export const UsageBreakdownFields = {
  cached_tokens: z.number().describe('Prompt tokens read from the provider cache (part of prompt_tokens)'),
  cache_write_tokens: z.number().describe('Prompt tokens written to the provider cache (part of prompt_tokens)'),
  cache_write_1h_tokens: z.number().describe('Of cache_write_tokens, those written with a 1-hour lifetime'),
  reasoning_tokens: z.number().describe('Reasoning/thinking tokens (part of completion_tokens)'),
  input_cost_usd: z.number().describe('Cost of the prompt tokens neither read from nor written to a cache'),
  cached_input_cost_usd: z.number().describe('Cost of the cached (read) prompt tokens'),
  cache_write_cost_usd: z.number().describe('Cost of the cache writes (both lifetimes)'),
  output_cost_usd: z.number().describe('Cost of the completion tokens that are not reasoning'),
  reasoning_cost_usd: z.number().describe('Cost of the reasoning tokens; the five cost parts add up to cost_usd'),
};
export const SpendRow = z
  .object({ group: z.string(), requests: z.number(), prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number(), cost_usd: z.number(), ...UsageBreakdownFields })
  .meta({ id: 'SpendRow' });
export const SpendReport = z.object({ object: z.literal('spend_report'), group_by: z.string(), from: day, to: day, data: z.array(SpendRow), total: SpendRow.omit({ group: true }) }).meta({ id: 'SpendReport' });
export const AuditObject = z
  .object({ id: z.string(), at: when, actor: z.string(), actor_kind: z.string(), action: z.string(), entity_type: z.string(), entity_id: z.string(), before: z.unknown(), after: z.unknown() })
  .meta({ id: 'AuditEntry' });
export const ErrorObject = z
  .object({ error: z.object({ message: z.string(), type: z.string(), code: z.string().nullable(), param: z.string().nullable() }) })
  .meta({ id: 'Error' });

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ object: z.literal('list'), data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() });
}
