/**
 * Which store each schema migration belongs to (issue 14: one global config store, one store per region).
 *
 * - `config`: only the config store (keys, teams, users, deployments, audit, config changes). Applied where the
 *   config store is writable (the primary region); replicas receive it through replication.
 * - `regional`: only each region's own store (usage events, spend, stored responses, request logs).
 * - unlisted: both. The schema before issue 14 (initial schema … team home regions) mixes both classes in one
 *   migration, so it runs on both stores; a store keeps the other class's tables empty (each query site uses
 *   the pool of its class: boot/stores.ts). New migrations should be listed here.
 *
 * With one database for both (CONFIG_DATABASE_URL unset or equal to DATABASE_URL) every migration runs there,
 * in file order, exactly as before.
 */
export type MigrationStore = 'config' | 'regional' | 'both';

export const MIGRATION_STORES: Readonly<Record<string, Exclude<MigrationStore, 'both'>>> = {
  '1734100000001_config-changes': 'config',
  // The global spend ledger (budget leases, admission/lease-ledger.ts): written through SKYWAY_LEDGER_DATABASE_URL.
  '1734200000001_budget-ledger': 'config',
};

/** The store of a migration by name (file name without extension). */
export function migrationStore(name: string): MigrationStore {
  return MIGRATION_STORES[name] ?? 'both';
}
