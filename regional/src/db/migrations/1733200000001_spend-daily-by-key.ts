/**
 * Budgets are rebuilt from `spend_daily` when Redis loses a period's counter (admission/ledger.ts): the sum of
 * one key's spend over a period needs an index led by key_id (team_id and user_id have theirs already).
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createIndex('spend_daily', ['key_id', 'day'], { ifNotExists: true });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropIndex('spend_daily', ['key_id', 'day'], { ifExists: true });
}
