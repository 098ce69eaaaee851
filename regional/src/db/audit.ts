/** The append-only audit log (the table refuses UPDATE, DELETE and TRUNCATE). */
import { changeFromAudit, recordChange } from './config-changes.js';
import type { Queryable } from './pool.js';

export interface Actor {
  /** Subject: `master`, the OIDC `sub` (or email), or `system:<component>`. */
  id: string;
  kind: 'master' | 'oidc' | 'system';
}

export const SYSTEM_ACTOR: Actor = { id: 'system', kind: 'system' };

export interface AuditEntry {
  action: string;
  entityType: 'key' | 'team' | 'user' | 'deployment';
  entityId: string;
  before: unknown;
  after: unknown;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  actor_kind: Actor['kind'];
  action: string;
  entity_type: string;
  entity_id: string;
  before: unknown;
  after: unknown;
}

/**
 * Record a change; call inside the transaction that makes it, so both commit or neither does. Also appends the
 * change event it announces to the cross-region change feed (`config_changes`, db/config-changes.ts), in the
 * same transaction: every region hears it from its own replica.
 */
export async function writeAudit(q: Queryable, actor: Actor, e: AuditEntry): Promise<void> {
  await q.query(
    'insert into audit_log (actor, actor_kind, action, entity_type, entity_id, before, after) values ($1, $2, $3, $4, $5, $6, $7)',
    [actor.id, actor.kind, e.action, e.entityType, e.entityId, e.before == null ? null : JSON.stringify(e.before), e.after == null ? null : JSON.stringify(e.after)],
  );
  const change = changeFromAudit(e);
  if (change) await recordChange(q, change);
}
