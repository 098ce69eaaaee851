/**
 * The cross-region change feed (issue 14): one row per committed admin change (key, team, user, deployment),
 * written in the same transaction as the change and its audit entry (db/audit.ts). A region whose config store
 * is a read-only replica cannot hear the primary's Redis pub/sub, so each region polls this table on its local
 * endpoint and republishes the rows onto its own change bus (keys/change-feed/). Rows are pruned after a day.
 * Config store only (db/migration-stores.ts): it reaches replicas through replication.
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable('config_changes', {
    id: { type: 'bigserial', primaryKey: true },
    type: { type: 'text', notNull: true },
    entity_id: { type: 'text', notNull: true },
    action: { type: 'text', notNull: true },
    // The whole ChangeEvent as published on the bus (replacedBy, graceExpiresAt, expiresAt for keys).
    payload: { type: 'jsonb', notNull: true },
    created_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
  });
  pgm.createIndex('config_changes', 'created_at');
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('config_changes');
}
