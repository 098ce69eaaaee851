/**
 * Every change to a virtual key: one transaction that writes the key and its audit entry, then a change event
 * so that every replica drops its cached copy. The plaintext key exists only in the value returned by
 * `createKey`/`rotateKey`; Postgres holds its hash.
 */
import type pg from 'pg';
import { writeAudit, type Actor } from '../db/audit.js';
import { inTransaction, type Queryable } from '../db/pool.js';
import { insertRow, jsonb, listPage, selectForUpdate, updateRow, type Page } from '../db/sql.js';
import { ChangeNotPropagated, ResourceConflict, ResourceNotFound } from '../errors/catalogue.js';
import type { ChangeBus, ChangeEvent } from './events.js';
import { issueKey } from './format.js';
import { keyStatus, type BudgetPeriod, type KeyRow, type StoredLimits } from './records.js';
import type { SigningSecrets } from './signing-secrets.js';

export interface BudgetInput {
  max_usd: number;
  period: BudgetPeriod;
  alert_at?: number[];
}

/** Settable fields of a key, in the admin API's shape. */
export interface KeyInput {
  alias?: string | null;
  team_id?: string | null;
  user_id?: string | null;
  /** Allowed public model names; null = every model. */
  models?: string[] | null;
  limits?: StoredLimits;
  model_limits?: Record<string, StoredLimits>;
  budget?: BudgetInput | null;
  /** ISO 8601 time. */
  expires_at?: string | null;
  home_region?: string | null;
  archive_payloads?: boolean | null;
  metadata?: Record<string, string>;
}

export interface KeyFilters {
  team_id?: string | undefined;
  user_id?: string | undefined;
  alias?: string | undefined;
  model?: string | undefined;
  status?: 'active' | 'revoked' | 'expired' | 'rotated' | undefined;
}

export interface KeyServiceDeps {
  db: pg.Pool;
  bus: ChangeBus;
  secrets: SigningSecrets;
  /** Hook for the edge KVS publisher (revocations, rotations); runs after the commit. */
  onKeyChange?: ((e: ChangeEvent) => void) | undefined;
  /** Waits between publish attempts (ms); each attempt is bounded by the bus (1.5 s for Redis). @default [100, 400] */
  publishRetryDelaysMs?: readonly number[];
  /** How long api replicas may keep a key they have cached (their TTL), for the error message. @default 60 s */
  replicaCacheSeconds?: number;
}

/** A key as stored, without its hash: what audit entries and the API show. */
export type PublicKeyRow = Omit<KeyRow, 'key_hash'>;

export function withoutHash(row: KeyRow): PublicKeyRow {
  const { key_hash: _hash, ...rest } = row;
  return rest;
}

function columns(input: KeyInput): Record<string, unknown> {
  const budget = input.budget;
  return {
    alias: input.alias,
    team_id: input.team_id,
    user_id: input.user_id,
    allowed_models: input.models,
    limits: input.limits === undefined ? undefined : jsonb(input.limits),
    model_limits: input.model_limits === undefined ? undefined : jsonb(input.model_limits),
    budget_max_usd: budget === undefined ? undefined : (budget?.max_usd ?? null),
    budget_period: budget === undefined ? undefined : (budget?.period ?? 'none'),
    budget_alert_at: budget === undefined ? undefined : (budget?.alert_at ?? []),
    expires_at: input.expires_at,
    home_region: input.home_region,
    archive_payloads: input.archive_payloads,
    metadata: input.metadata === undefined ? undefined : jsonb(input.metadata),
  };
}

/** Postgres constraint violations that are the caller's mistake become 409/404 with a precise message. */
function translatePgError(err: unknown): never {
  const e = err as { code?: string; constraint?: string; detail?: string };
  if (e.code === '23505' && e.constraint?.includes('alias')) throw new ResourceConflict('A key with this alias already exists.', 'alias_taken', 'alias');
  if (e.code === '23503') throw new ResourceConflict(`A referenced team or user does not exist (${e.detail ?? e.constraint ?? 'foreign key'}).`, 'reference_not_found');
  throw err;
}

export class KeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  /** Publish with retries; true once a publish succeeded. */
  async #publish(e: ChangeEvent): Promise<{ ok: true } | { ok: false; error: unknown }> {
    const delays = this.deps.publishRetryDelaysMs ?? [100, 400];
    let error: unknown;
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, delays[attempt - 1]));
      try {
        await this.deps.bus.publish(e);
        return { ok: true };
      } catch (err) {
        error = err;
      }
    }
    return { ok: false, error };
  }

  /**
   * Announce a committed change; returns a warning when it could not be published. Losing a create or update
   * event costs only freshness (replicas reload at their cache TTL). Losing a revocation leaves the key valid on
   * other replicas: `revoke` turns the warning into a 503 and the admin repeats the command (revoke is
   * idempotent and publishes again). `rotate` cannot fail after issuing the new key (its plaintext would be
   * lost), so it returns the warning with the key.
   */
  async #emit(e: ChangeEvent): Promise<string | undefined> {
    const sent = await this.#publish(e);
    this.deps.onKeyChange?.(e);
    if (sent.ok) return undefined;
    const ttl = this.deps.replicaCacheSeconds ?? 60;
    return (
      `Key '${e.id}' is ${e.action} in the database, but the change could not be published to the API replicas (${(sent.error as Error)?.message ?? 'publish failed'}). ` +
      `Replicas that cached the key may still use its previous state for up to ${ttl} s.`
    );
  }

  async create(actor: Actor, input: KeyInput, q?: Queryable): Promise<{ key: string; row: PublicKeyRow }> {
    const issued = issueKey(this.deps.secrets);
    const write = async (c: Queryable) => {
      const row = await insertRow<KeyRow>(c, 'virtual_keys', { id: issued.keyId, key_hash: issued.hash, signing_secret_version: issued.secretVersion, ...columns(input) });
      await writeAudit(c, actor, { action: 'key.create', entityType: 'key', entityId: row.id, before: null, after: withoutHash(row) });
      return row;
    };
    const row = await (q ? write(q) : inTransaction(this.deps.db, write)).catch(translatePgError);
    await this.#emit({ type: 'key', id: row.id, action: 'created', expiresAt: row.expires_at?.toISOString() ?? null });
    return { key: issued.plaintext, row: withoutHash(row) };
  }

  async get(id: string): Promise<PublicKeyRow> {
    const res = await this.deps.db.query('select * from virtual_keys where id = $1', [id]);
    if (!res.rows[0]) throw new ResourceNotFound('key', id);
    return withoutHash(res.rows[0] as KeyRow);
  }

  async list(filters: KeyFilters, page: { limit: number; cursor?: string | undefined }): Promise<Page<PublicKeyRow>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filters.team_id) add('team_id = ?', filters.team_id);
    if (filters.user_id) add('user_id = ?', filters.user_id);
    if (filters.alias) add('alias = ?', filters.alias);
    if (filters.model) add('(allowed_models is null or ? = any(allowed_models))', filters.model);
    switch (filters.status) {
      case 'revoked':
        where.push('revoked_at is not null');
        break;
      case 'rotated':
        // Every replaced key, in its grace period (still working) or past it.
        where.push('revoked_at is null and replaced_by is not null');
        break;
      case 'expired':
        where.push('revoked_at is null and (grace_expires_at is null or grace_expires_at > now()) and expires_at <= now()');
        break;
      case 'active':
        where.push('revoked_at is null and (grace_expires_at is null or grace_expires_at > now()) and (expires_at is null or expires_at > now())');
        break;
      default:
    }
    const p = await listPage<KeyRow>(this.deps.db, 'virtual_keys', where, params, page);
    return { ...p, data: p.data.map(withoutHash) };
  }

  async update(actor: Actor, id: string, input: KeyInput): Promise<PublicKeyRow> {
    const row = await inTransaction(this.deps.db, async (c) => {
      const before = await selectForUpdate<KeyRow>(c, 'virtual_keys', id);
      if (!before) throw new ResourceNotFound('key', id);
      const after = (await updateRow<KeyRow>(c, 'virtual_keys', id, columns(input)))!;
      await writeAudit(c, actor, { action: 'key.update', entityType: 'key', entityId: id, before: withoutHash(before), after: withoutHash(after) });
      return after;
    }).catch(translatePgError);
    await this.#emit({ type: 'key', id, action: 'updated', expiresAt: row.expires_at?.toISOString() ?? null });
    return withoutHash(row);
  }

  async revoke(actor: Actor, id: string, reason?: string): Promise<PublicKeyRow> {
    const row = await inTransaction(this.deps.db, async (c) => {
      const before = await selectForUpdate<KeyRow>(c, 'virtual_keys', id);
      if (!before) throw new ResourceNotFound('key', id);
      if (before.revoked_at) return before;
      const after = (await updateRow<KeyRow>(c, 'virtual_keys', id, { revoked_at: new Date(), revoked_reason: reason ?? null }))!;
      await writeAudit(c, actor, { action: 'key.revoke', entityType: 'key', entityId: id, before: withoutHash(before), after: withoutHash(after) });
      return after;
    });
    const warning = await this.#emit({ type: 'key', id, action: 'revoked', expiresAt: row.expires_at?.toISOString() ?? null });
    if (warning) throw new ChangeNotPropagated(`${warning} Repeat the revoke to publish it again.`, 'revocation_not_propagated');
    return withoutHash(row);
  }

  /**
   * Issue a new key with the same settings; the old key keeps working for `graceSeconds` (0 = stops now).
   * The alias moves to the new key.
   */
  async rotate(actor: Actor, id: string, graceSeconds: number): Promise<{ key: string; row: PublicKeyRow; previous: PublicKeyRow; warning?: string }> {
    const issued = issueKey(this.deps.secrets);
    const { row, previous } = await inTransaction(this.deps.db, async (c) => {
      const old = await selectForUpdate<KeyRow>(c, 'virtual_keys', id);
      if (!old) throw new ResourceNotFound('key', id);
      const status = keyStatus(old);
      if (status !== 'active' || old.replaced_by) throw new ResourceConflict(`Key '${id}' cannot be rotated: it is ${old.replaced_by ? 'already rotated' : status}.`, 'key_not_active');
      const graceEnd = new Date(Date.now() + graceSeconds * 1000);
      // Free the alias first (unique), then create the successor, then point the old key at it.
      await updateRow(c, 'virtual_keys', id, { alias: null });
      const { id: _id, key_hash: _h, signing_secret_version: _v, created_at: _c, updated_at: _u, revoked_at: _r, revoked_reason: _rr, rotated_from: _rf, replaced_by: _rb, grace_expires_at: _g, ...settings } = old;
      const fresh = await insertRow<KeyRow>(c, 'virtual_keys', {
        ...settings,
        limits: jsonb(old.limits),
        model_limits: jsonb(old.model_limits),
        metadata: jsonb(old.metadata),
        id: issued.keyId,
        key_hash: issued.hash,
        signing_secret_version: issued.secretVersion,
        rotated_from: id,
      });
      const prev = (await updateRow<KeyRow>(c, 'virtual_keys', id, { replaced_by: fresh.id, grace_expires_at: graceEnd }))!;
      await writeAudit(c, actor, { action: 'key.rotate', entityType: 'key', entityId: id, before: withoutHash(old), after: withoutHash(prev) });
      await writeAudit(c, actor, { action: 'key.create', entityType: 'key', entityId: fresh.id, before: null, after: withoutHash(fresh) });
      return { row: fresh, previous: prev };
    });
    const warning = await this.#emit({ type: 'key', id, action: 'rotated', replacedBy: row.id, graceExpiresAt: previous.grace_expires_at?.toISOString() ?? null });
    await this.#emit({ type: 'key', id: row.id, action: 'created', expiresAt: row.expires_at?.toISOString() ?? null });
    return { key: issued.plaintext, row: withoutHash(row), previous: withoutHash(previous), ...(warning ? { warning } : {}) };
  }
}
