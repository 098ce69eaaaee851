/**
 * The usage ledger: one row per request id, written by the usage pipeline in the same statement that adds
 * the request to `spend_daily`. Its primary key is what makes replaying a batch harmless: a request already
 * in the ledger is skipped, so its spend is never counted twice. Rows older than the pruning horizon are
 * deleted by the sink (see sinks/postgres.ts); the horizon must exceed how long a spool can be replayed late.
 *
 * Lives beside the usage pipeline; regional/src/db/migrate.ts runs it with the other migrations.
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable('usage_events', {
    request_id: { type: 'text', primaryKey: true },
    time: { type: 'timestamptz', notNull: true },
    key_id: { type: 'text', notNull: true },
    team_id: { type: 'text', notNull: true, default: '' },
    user_id: { type: 'text', notNull: true, default: '' },
    model: { type: 'text', notNull: true },
    status: { type: 'smallint', notNull: true },
    prompt_tokens: { type: 'integer', notNull: true },
    completion_tokens: { type: 'integer', notNull: true },
    cost_usd: { type: 'numeric(18,8)', notNull: true },
  });
  pgm.createIndex('usage_events', 'time');
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('usage_events');
}
