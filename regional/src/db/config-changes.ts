/**
 * Rows of the cross-region change feed (`config_changes`). Every admin change that is announced on the change
 * bus is also written here, in the same transaction: `writeAudit` (db/audit.ts) calls `recordChange` with the
 * event derived from the audit entry, so no write path can commit a change without its feed row, and a replica
 * that sees the row also sees the change it describes (one transaction, replayed atomically).
 */
import type { ChangeEvent } from '../keys/events.js';
import type { AuditEntry } from './audit.js';
import type { Queryable } from './pool.js';

export interface ChangeRow {
  id: string;
  event: ChangeEvent;
  createdAt: Date;
}

const KEY_ACTIONS: Record<string, Extract<ChangeEvent, { type: 'key' }>['action']> = {
  create: 'created',
  update: 'updated',
  revoke: 'revoked',
  rotate: 'rotated',
  delete: 'deleted',
};
const OTHER_ACTIONS: Record<string, 'created' | 'updated' | 'deleted'> = { create: 'created', update: 'updated', delete: 'deleted' };

function isoOrNull(v: unknown): string | null {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : null;
}

/**
 * The change event an audit entry announces (`key.revoke` → `{type:'key', action:'revoked', …}`), or undefined
 * for an action that announces nothing.
 *
 * @example changeFromAudit({ action: 'team.update', entityType: 'team', entityId: 'team_1', before, after }) // → { type: 'team', id: 'team_1', action: 'updated' }
 */
export function changeFromAudit(e: AuditEntry): ChangeEvent | undefined {
  const verb = e.action.slice(e.action.indexOf('.') + 1);
  if (e.entityType === 'key') {
    const action = KEY_ACTIONS[verb];
    if (!action) return undefined;
    const after = (e.after ?? {}) as Record<string, unknown>;
    if (action === 'rotated') {
      return { type: 'key', id: e.entityId, action, replacedBy: typeof after.replaced_by === 'string' ? after.replaced_by : undefined, graceExpiresAt: isoOrNull(after.grace_expires_at) } as ChangeEvent;
    }
    return { type: 'key', id: e.entityId, action, expiresAt: isoOrNull(after.expires_at) };
  }
  const action = OTHER_ACTIONS[verb];
  if (!action) return undefined;
  return { type: e.entityType, id: e.entityId, action };
}

/** Append one change to the feed; call inside the transaction that makes the change. */
export async function recordChange(q: Queryable, e: ChangeEvent): Promise<void> {
  await q.query('insert into config_changes (type, entity_id, action, payload) values ($1, $2, $3, $4)', [e.type, e.id, e.action, JSON.stringify(e)]);
}

/**
 * Changes with an id above `afterId`, oldest first. Ids are assigned at insert, not at commit, so a slow
 * transaction can commit a smaller id after a larger one became visible: callers re-read a window below their
 * highest id (see keys/change-feed/poller.ts).
 */
export async function changesAfter(q: Queryable, afterId: bigint, limit: number): Promise<ChangeRow[]> {
  const res = await q.query('select id::text as id, payload, created_at from config_changes where id > $1 order by id limit $2', [afterId.toString(), limit]);
  return (res.rows as Array<{ id: string; payload: ChangeEvent; created_at: Date }>).map((r) => ({ id: r.id, event: r.payload, createdAt: r.created_at }));
}

/** The highest id so far (0 when empty): where a starting poller begins, since its caches start empty. */
export async function latestChangeId(q: Queryable): Promise<bigint> {
  const res = await q.query('select coalesce(max(id), 0)::text as id from config_changes');
  return BigInt((res.rows[0] as { id: string }).id);
}

/** Delete feed rows older than `retentionMs` (in batches); returns how many went. Primary only. */
export async function pruneChanges(q: Queryable, retentionMs: number): Promise<number> {
  const res = await q.query(
    'delete from config_changes where id in (select id from config_changes where created_at < now() - make_interval(secs => $1) limit 10000)',
    [retentionMs / 1000],
  );
  return res.rowCount ?? 0;
}
