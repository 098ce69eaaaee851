/** Which soft budget alerts were already emitted, so each threshold fires once per scope and period. */
import type { MigrationBuilder } from 'node-pg-migrate';

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable(
    'budget_alerts',
    {
      scope_type: { type: 'text', notNull: true, check: "scope_type in ('key','team','user')" },
      scope_id: { type: 'text', notNull: true },
      period_start: { type: 'date', notNull: true },
      threshold: { type: 'double precision', notNull: true },
      spent_usd: { type: 'numeric(18,8)', notNull: true },
      max_usd: { type: 'numeric(14,6)', notNull: true },
      at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    },
    { constraints: { primaryKey: ['scope_type', 'scope_id', 'period_start', 'threshold'] } },
  );
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('budget_alerts');
}
