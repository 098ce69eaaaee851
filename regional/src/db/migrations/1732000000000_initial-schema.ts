/**
 * The first schema: teams, users, virtual keys, model deployments managed at run time, spend aggregates and
 * the append-only audit log. Applied by `migrate()` (db/migrate.ts) from the `api` role only.
 *
 * Conventions: ids are text (prefixed, e.g. `team_…`; a virtual key's id is the key id inside the key itself),
 * timestamps are timestamptz, limits are JSON objects `{rpm, tpm, max_parallel}` (absent = unlimited), a budget
 * is three columns (max USD, period, alert thresholds as fractions).
 */
import type { MigrationBuilder } from 'node-pg-migrate';

const BUDGET_PERIOD_CHECK = "budget_period in ('daily','weekly','monthly','none')";

export async function up(pgm: MigrationBuilder): Promise<void> {
  const budget = {
    budget_max_usd: { type: 'numeric(14,6)' },
    budget_period: { type: 'text', notNull: true, default: 'none', check: BUDGET_PERIOD_CHECK },
    budget_alert_at: { type: 'double precision[]', notNull: true, default: pgm.func("'{}'") },
  } as const;
  const stamps = {
    created_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    updated_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
  } as const;

  pgm.createTable('teams', {
    id: { type: 'text', primaryKey: true },
    name: { type: 'text', notNull: true, unique: true },
    // null = every model; otherwise the team's keys are limited to the intersection with their own list.
    allowed_models: { type: 'text[]' },
    limits: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    ...budget,
    archive_payloads: { type: 'boolean', notNull: true, default: false },
    metadata: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    ...stamps,
  });

  pgm.createTable('users', {
    id: { type: 'text', primaryKey: true },
    email: { type: 'text', unique: true },
    name: { type: 'text' },
    team_id: { type: 'text', references: 'teams', onDelete: 'RESTRICT' },
    limits: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    ...budget,
    metadata: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    ...stamps,
  });
  pgm.createIndex('users', 'team_id');

  pgm.createTable('virtual_keys', {
    // The key id is the public part of the key (shared/keys/key-format.ts); the secret is stored only hashed.
    id: { type: 'text', primaryKey: true },
    key_hash: { type: 'text', notNull: true },
    // Version of the MAC signing secret the key was issued under (SKYWAY_KEY_SIGNING_SECRETS).
    signing_secret_version: { type: 'integer', notNull: true },
    alias: { type: 'text', unique: true },
    team_id: { type: 'text', references: 'teams', onDelete: 'RESTRICT' },
    user_id: { type: 'text', references: 'users', onDelete: 'RESTRICT' },
    allowed_models: { type: 'text[]' },
    limits: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    model_limits: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    ...budget,
    expires_at: { type: 'timestamptz' },
    revoked_at: { type: 'timestamptz' },
    revoked_reason: { type: 'text' },
    // Rotation: the old key keeps working until grace_expires_at; the new key points back to it.
    rotated_from: { type: 'text', references: 'virtual_keys', onDelete: 'SET NULL' },
    replaced_by: { type: 'text', references: 'virtual_keys', onDelete: 'SET NULL' },
    grace_expires_at: { type: 'timestamptz' },
    home_region: { type: 'text' },
    // null = inherit from the team.
    archive_payloads: { type: 'boolean' },
    metadata: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    ...stamps,
  });
  pgm.createIndex('virtual_keys', 'team_id');
  pgm.createIndex('virtual_keys', 'user_id');
  pgm.createIndex('virtual_keys', ['created_at', 'id']);

  pgm.createTable('model_deployments', {
    id: { type: 'text', primaryKey: true },
    // Public model name clients use; several deployments of one name are balanced by weight.
    model_name: { type: 'text', notNull: true },
    provider: { type: 'text', notNull: true },
    upstream_model: { type: 'text', notNull: true },
    api_base: { type: 'text' },
    // Exactly one way to hold the credential: none, an envelope-encrypted blob, or a Secrets Manager reference.
    credential_kind: { type: 'text', notNull: true, default: 'none', check: "credential_kind in ('none','encrypted','secret_ref')" },
    credential_envelope: { type: 'jsonb' },
    credential_secret_ref: { type: 'text' },
    weight: { type: 'integer', notNull: true, default: 1 },
    timeout_ms: { type: 'integer', notNull: true, default: 60000 },
    headers: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    options: { type: 'jsonb', notNull: true, default: pgm.func("'{}'::jsonb") },
    enabled: { type: 'boolean', notNull: true, default: true },
    ...stamps,
  });
  pgm.createIndex('model_deployments', 'model_name');

  // Written in batches by the usage pipeline (upsert adding to the counters), read by spend reports and budgets.
  // Empty string, not null, stands for "no team/user" so that the primary key can serve the upsert.
  pgm.createTable(
    'spend_daily',
    {
      day: { type: 'date', notNull: true },
      key_id: { type: 'text', notNull: true },
      team_id: { type: 'text', notNull: true, default: '' },
      user_id: { type: 'text', notNull: true, default: '' },
      model: { type: 'text', notNull: true },
      requests: { type: 'bigint', notNull: true, default: 0 },
      prompt_tokens: { type: 'bigint', notNull: true, default: 0 },
      completion_tokens: { type: 'bigint', notNull: true, default: 0 },
      total_tokens: { type: 'bigint', notNull: true, default: 0 },
      cost_usd: { type: 'numeric(18,8)', notNull: true, default: 0 },
      updated_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    },
    { constraints: { primaryKey: ['day', 'key_id', 'team_id', 'user_id', 'model'] } },
  );
  pgm.createIndex('spend_daily', ['team_id', 'day']);
  pgm.createIndex('spend_daily', ['user_id', 'day']);
  pgm.createIndex('spend_daily', ['model', 'day']);

  pgm.createTable('audit_log', {
    id: { type: 'bigserial', primaryKey: true },
    at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    actor: { type: 'text', notNull: true },
    actor_kind: { type: 'text', notNull: true, check: "actor_kind in ('master','oidc','system')" },
    action: { type: 'text', notNull: true },
    entity_type: { type: 'text', notNull: true },
    entity_id: { type: 'text', notNull: true },
    before: { type: 'jsonb' },
    after: { type: 'jsonb' },
  });
  pgm.createIndex('audit_log', ['entity_type', 'entity_id', 'id']);

  // Append-only in the database itself, not only by convention of the code.
  pgm.sql(`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only';
    end $$;
    create trigger audit_log_no_update before update or delete on audit_log
      for each row execute function audit_log_append_only();
    create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function audit_log_append_only();
  `);
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.sql('drop table if exists audit_log cascade; drop function if exists audit_log_append_only()');
  pgm.dropTable('spend_daily');
  pgm.dropTable('model_deployments');
  pgm.dropTable('virtual_keys');
  pgm.dropTable('users');
  pgm.dropTable('teams');
}
