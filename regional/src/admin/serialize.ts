/** Database rows → admin API objects (snake_case, ISO times, budgets and limits as nested objects). */
import { keyHint } from '../../../shared/keys/key-format.js';
import type { AuditRow } from '../db/audit.js';
import { keyStatus, type BudgetColumns, type TeamRow, type UserRow } from '../keys/records.js';
import type { PublicKeyRow } from '../keys/service.js';
import type { PublicDeploymentRow } from './deployments.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function budget(r: BudgetColumns) {
  return r.budget_max_usd == null ? null : { max_usd: Number(r.budget_max_usd), period: r.budget_period, alert_at: r.budget_alert_at };
}

export function keyOut(r: PublicKeyRow) {
  return {
    object: 'virtual_key' as const,
    id: r.id,
    hint: keyHint(r.id),
    status: keyStatus(r),
    alias: r.alias,
    team_id: r.team_id,
    user_id: r.user_id,
    models: r.allowed_models,
    limits: r.limits,
    model_limits: r.model_limits,
    budget: budget(r),
    expires_at: iso(r.expires_at),
    home_region: r.home_region,
    archive_payloads: r.archive_payloads,
    metadata: r.metadata,
    revoked_at: iso(r.revoked_at),
    revoked_reason: r.revoked_reason,
    rotated_from: r.rotated_from,
    replaced_by: r.replaced_by,
    grace_expires_at: iso(r.grace_expires_at),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

export function teamOut(r: TeamRow) {
  return {
    object: 'team' as const,
    id: r.id,
    name: r.name,
    models: r.allowed_models,
    limits: r.limits,
    budget: budget(r),
    archive_payloads: r.archive_payloads,
    home_region: r.home_region,
    metadata: r.metadata,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

export function userOut(r: UserRow) {
  return {
    object: 'user' as const,
    id: r.id,
    email: r.email,
    name: r.name,
    team_id: r.team_id,
    limits: r.limits,
    budget: budget(r),
    metadata: r.metadata,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

export function deploymentOut(r: PublicDeploymentRow) {
  return {
    object: 'deployment' as const,
    id: r.id,
    model_name: r.model_name,
    provider: r.provider,
    upstream_model: r.upstream_model,
    api_base: r.api_base,
    credential: r.credential_kind,
    api_key_secret_ref: r.credential_secret_ref ?? undefined,
    weight: r.weight,
    timeout_ms: r.timeout_ms,
    headers: r.headers,
    options: r.options,
    secret_headers: r.secret_headers,
    secret_options: r.secret_options,
    enabled: r.enabled,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

export function auditOut(r: AuditRow) {
  return { id: String(r.id), at: iso(r.at), actor: r.actor, actor_kind: r.actor_kind, action: r.action, entity_type: r.entity_type, entity_id: r.entity_id, before: r.before, after: r.after };
}

export function listOut<R, O>(page: { data: R[]; hasMore: boolean; nextCursor: string | null }, map: (r: R) => O) {
  return { object: 'list' as const, data: page.data.map(map), has_more: page.hasMore, next_cursor: page.nextCursor };
}
