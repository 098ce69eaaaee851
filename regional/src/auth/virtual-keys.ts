/**
 * Authenticates virtual keys on the API path. Hot path: a checksum check (no lookup), the MAC check, then an
 * in-process cache of key records keyed by key id — a hit answers synchronously, without touching Postgres or
 * allocating a promise. Misses load the key with its team and user in one query (concurrent misses for one key
 * share it). Change events (Redis pub/sub) drop cached entries, so a revocation reaches every replica within a
 * round trip; while the subscription is down, entries live at most `fallbackTtlMs` (1 s), which keeps that bound.
 * Without Redis (embedded mode) events are in-process only: an admin server in another process is not heard,
 * and revocations then take up to `ttlMs`.
 */
import { timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { InvalidApiKey, MissingApiKey, PermissionDenied, ServiceUnavailable } from '../errors/catalogue.js';
import type { ChangeBus, ChangeEvent } from '../keys/events.js';
import { checkKeyToken, hashKey } from '../keys/format.js';
import { keyStatus, reviveDates, toBudgetSpec, toLimitSet, type KeyWithOwners, type TeamRow, type UserRow } from '../keys/records.js';
import type { SigningSecrets } from '../keys/signing-secrets.js';
import { SHARED_ERRORS } from '../../../shared/errors/codes.js';
import { KEY_LENGTH, KEY_PREFIX, type KeyRejectReason } from '../../../shared/keys/key-format.js';
import { isMasterKey } from './master-key.js';
import { MASTER_PRINCIPAL, type Authenticator, type LimitSet, type Principal, type ScopeRef } from './principal.js';

export interface VirtualKeyAuthenticatorOptions {
  db: pg.Pool;
  bus: ChangeBus;
  secrets: SigningSecrets;
  /** SKYWAY_MASTER_KEY: accepted as principal kind `master`. */
  masterKey?: string | undefined;
  /** Lifetime of a cached key while change events are being received (default 60 s). */
  ttlMs?: number;
  /** Lifetime while the change subscription is down (default 1 s). */
  fallbackTtlMs?: number;
  /** Lifetime of a cached "no such key" answer (default 5 s; creation events clear it sooner). */
  negativeTtlMs?: number;
  /** Entries kept at most (oldest dropped first). */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  /** null = the key id does not exist. */
  found: KeyWithOwners | null;
  principal: Principal | null;
  loadedAt: number;
  /**
   * The exact key that last passed the full check (format, checksum, MAC, stored hash) against this record.
   * The same key again is then recognised by one constant-time comparison instead of three hashes.
   */
  verified?: Buffer;
}

/** The key id of something shaped like a key, without checking it (position only: `sk-sky-<12>_…`). */
function keyIdAt(token: string): string | undefined {
  return token.length === KEY_LENGTH && token.startsWith(KEY_PREFIX) && token.charCodeAt(KEY_PREFIX.length + 12) === 0x5f ? token.slice(KEY_PREFIX.length, KEY_PREFIX.length + 12) : undefined;
}

const KEY_QUERY = `
  select row_to_json(k) as key, row_to_json(t) as team, row_to_json(u) as "user"
  from virtual_keys k left join teams t on t.id = k.team_id left join users u on u.id = k.user_id
  where k.id = $1`;

const KEY_DATES = ['expires_at', 'revoked_at', 'grace_expires_at', 'created_at', 'updated_at'] as const;

function scope(id: string, limits: LimitSet | undefined, budget: ReturnType<typeof toBudgetSpec>): ScopeRef {
  const s: ScopeRef = { id };
  if (limits) s.limits = limits;
  if (budget) s.budget = budget;
  return s;
}

function intersect(a: string[] | null, b: string[] | null): ReadonlySet<string> | undefined {
  if (!a && !b) return undefined;
  if (!a) return new Set(b);
  if (!b) return new Set(a);
  const other = new Set(b);
  return new Set(a.filter((m) => other.has(m)));
}

/** Build the immutable Principal of a key record. */
export function principalOf({ key, team, user }: KeyWithOwners): Principal {
  const p: Principal = { kind: 'virtual', keyId: key.id, key: scope(key.id, toLimitSet(key.limits), toBudgetSpec(key)) };
  if (key.alias) p.keyAlias = key.alias;
  if (team) p.team = scope(team.id, toLimitSet(team.limits), toBudgetSpec(team));
  if (user) p.user = scope(user.id, toLimitSet(user.limits), toBudgetSpec(user));
  const allowed = intersect(key.allowed_models, team?.allowed_models ?? null);
  if (allowed) p.allowedModels = allowed;
  const modelLimits: Record<string, LimitSet> = {};
  for (const [model, l] of Object.entries(key.model_limits ?? {})) {
    const ls = toLimitSet(l);
    if (ls) modelLimits[model] = ls;
  }
  if (Object.keys(modelLimits).length) p.modelLimits = Object.freeze(modelLimits);
  const home = key.home_region ?? team?.home_region;
  if (home) p.homeRegion = home;
  p.archivePayloads = key.archive_payloads ?? team?.archive_payloads ?? false;
  const metadata = { ...(team?.metadata ?? {}), ...(key.metadata ?? {}) };
  if (Object.keys(metadata).length) p.metadata = Object.freeze(metadata);
  return Object.freeze(p);
}

/**
 * Throws PermissionDenied (403, code `model_not_allowed`) when the principal may not use `model`.
 *
 * @example assertModelAllowed(principal, body.model) // after authentication, before routing
 */
export function assertModelAllowed(principal: Principal, model: string): void {
  if (principal.allowedModels && !principal.allowedModels.has(model)) {
    const allowed = [...principal.allowedModels].sort().join(', ') || 'none';
    throw new PermissionDenied(`This API key is not allowed to use the model '${model}'. Models allowed for this key: ${allowed}.`, 'model_not_allowed', 'model');
  }
}

const REJECT_MESSAGES: Record<KeyRejectReason, string> = {
  missing: 'You did not provide an API key.',
  malformed: 'Incorrect API key provided: it is not a Skyway key (expected sk-sky-…, 86 characters).',
  checksum: 'Incorrect API key provided: its checksum does not match (a typo or a truncated key).',
  unknown_version: 'Incorrect API key provided: it was signed with a signing-secret version this gateway does not accept.',
  mac: 'Incorrect API key provided: its signature is not valid.',
};

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class VirtualKeyAuthenticator implements Authenticator {
  readonly #o: Required<Omit<VirtualKeyAuthenticatorOptions, 'masterKey'>> & { masterKey: string | undefined };
  readonly #cache = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Entry>>();
  readonly #unsubscribe: Array<() => void> = [];
  /** Bumped by every invalidation; a load that started before one does not fill the cache. */
  #generation = 0;
  readonly #masterKey: Buffer | undefined;

  constructor(opts: VirtualKeyAuthenticatorOptions) {
    this.#o = {
      ttlMs: 60_000,
      fallbackTtlMs: 1_000,
      negativeTtlMs: 5_000,
      maxEntries: 100_000,
      now: Date.now,
      ...opts,
      masterKey: opts.masterKey || undefined,
    };
    this.#masterKey = opts.masterKey ? Buffer.from(opts.masterKey) : undefined;
    this.#unsubscribe.push(opts.bus.subscribe((e) => this.#onChange(e)));
    this.#unsubscribe.push(
      opts.bus.onResync(() => {
        this.#generation++;
        this.#cache.clear();
      }),
    );
  }

  #onChange(e: ChangeEvent): void {
    this.#generation++;
    if (e.type === 'key') {
      this.#cache.delete(e.id);
      this.#inflight.delete(e.id);
    } else if (e.type === 'team' || e.type === 'user') {
      // Limits, budgets and model lists of a team/user are part of its keys' principals.
      for (const [id, entry] of this.#cache) {
        const owner = e.type === 'team' ? entry.found?.team : entry.found?.user;
        if (owner?.id === e.id) this.#cache.delete(id);
      }
    }
  }

  authenticate(token: string | undefined): Principal | Promise<Principal> {
    if (!token) throw new MissingApiKey();
    const fastId = keyIdAt(token);
    if (fastId) {
      // Hot path: a key this replica verified before and whose record is fresh.
      const entry = this.#cache.get(fastId);
      if (entry?.verified && entry.found && this.#o.now() - entry.loadedAt < (this.#o.bus.live ? this.#o.ttlMs : this.#o.fallbackTtlMs)) {
        const t = Buffer.from(token);
        if (t.length === entry.verified.length && timingSafeEqual(t, entry.verified)) return this.#status(entry, this.#o.now());
      }
    }
    if (this.#masterKey && isMasterKey(token, this.#masterKey)) return MASTER_PRINCIPAL;
    const checked = checkKeyToken(token, this.#o.secrets);
    if (!checked.ok) throw new InvalidApiKey(REJECT_MESSAGES[checked.reason]);
    const keyId = checked.parts.keyId;
    const now = this.#o.now();
    const entry = this.#cache.get(keyId);
    const ttl = entry?.found ? (this.#o.bus.live ? this.#o.ttlMs : this.#o.fallbackTtlMs) : this.#o.negativeTtlMs;
    if (entry && now - entry.loadedAt < ttl) return this.#check(entry, token, now);
    return this.#load(keyId).then((e) => this.#check(e, token, this.#o.now()));
  }

  #check(entry: Entry, token: string, now: number): Principal {
    const found = entry.found;
    if (!found || !entry.principal || !sameSecret(hashKey(token), found.key.key_hash)) throw new InvalidApiKey();
    entry.verified = Buffer.from(token);
    return this.#status(entry, now);
  }

  #status(entry: Entry, now: number): Principal {
    const k = entry.found!.key;
    switch (keyStatus(k, now)) {
      case 'revoked':
        throw new InvalidApiKey(`This API key was revoked at ${k.revoked_at!.toISOString()}${k.revoked_reason ? ` (${k.revoked_reason})` : ''}.`, SHARED_ERRORS.apiKeyRevoked.code);
      case 'rotated':
        throw new InvalidApiKey(`This API key was rotated; its grace period ended at ${k.grace_expires_at!.toISOString()}. Use its replacement.`, 'api_key_rotated');
      case 'expired':
        throw new InvalidApiKey(`This API key expired at ${k.expires_at!.toISOString()}.`, 'api_key_expired');
      default:
        return entry.principal!;
    }
  }

  #load(keyId: string): Promise<Entry> {
    let p = this.#inflight.get(keyId);
    if (p) return p;
    p = this.#fetch(keyId).finally(() => {
      if (this.#inflight.get(keyId) === p) this.#inflight.delete(keyId);
    });
    this.#inflight.set(keyId, p);
    return p;
  }

  async #fetch(keyId: string): Promise<Entry> {
    const loadedAt = this.#o.now();
    const generation = this.#generation;
    let row: { key: KeyWithOwners['key']; team: TeamRow | null; user: UserRow | null } | undefined;
    try {
      row = (await this.#o.db.query(KEY_QUERY, [keyId])).rows[0] as typeof row;
    } catch {
      throw new ServiceUnavailable('The key store is unreachable; retry shortly.', 'key_store_unavailable');
    }
    let entry: Entry;
    if (row) {
      const found: KeyWithOwners = {
        key: reviveDates(row.key, KEY_DATES),
        team: row.team && reviveDates(row.team, ['created_at', 'updated_at']),
        user: row.user && reviveDates(row.user, ['created_at', 'updated_at']),
      };
      entry = { found, principal: principalOf(found), loadedAt };
    } else {
      entry = { found: null, principal: null, loadedAt };
    }
    // Only cache what no invalidation overtook while the query ran.
    if (generation === this.#generation) {
      if (this.#cache.size >= this.#o.maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(keyId, entry);
    }
    return entry;
  }

  async check(): Promise<void> {
    await this.#o.db.query('select 1');
  }

  async close(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#cache.clear();
  }
}
