/**
 * Is this region's config store writable? In a multi-region environment the config store (keys, teams, users,
 * deployments, audit, config changes) is an Aurora global database: the writer in the primary region, read-only
 * replicas elsewhere. Admin writes are refused (503) where it is a replica or unreachable, with a clear code,
 * instead of failing deep inside a transaction.
 *
 * Detected with `select pg_is_in_recovery()` (true on a replica; Aurora readers answer true too), cached for
 * `cacheMs` so that a burst of admin writes costs one probe; `SKYWAY_CONFIG_STORE_ROLE=primary|replica` forces
 * the answer (an operator who knows better, or a database that hides recovery).
 */
import type pg from 'pg';

export type ConfigStoreRole = 'primary' | 'replica' | 'unreachable';

export interface ConfigStoreProbeOptions {
  /** Forced role (SKYWAY_CONFIG_STORE_ROLE); undefined = detect. */
  forced?: 'primary' | 'replica' | undefined;
  /** How long an answer is reused. @default 2000 */
  cacheMs?: number;
  /** A probe slower than this counts as unreachable. @default 2000 */
  timeoutMs?: number;
  now?: () => number;
}

/** Parse SKYWAY_CONFIG_STORE_ROLE; throws on anything but primary, replica or unset/auto. */
export function forcedConfigStoreRole(value: string | undefined): 'primary' | 'replica' | undefined {
  if (!value || value === 'auto') return undefined;
  if (value === 'primary' || value === 'replica') return value;
  throw new Error(`SKYWAY_CONFIG_STORE_ROLE must be primary, replica or auto, not '${value}'`);
}

/** Ask the server itself: `pg_is_in_recovery()` is true on a hot standby or an Aurora reader. */
export async function detectConfigStoreRole(db: Pick<pg.Pool, 'query'>, timeoutMs = 2000): Promise<ConfigStoreRole> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const probe = db.query('select pg_is_in_recovery() as r') as Promise<pg.QueryResult<{ r: boolean }>>;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
    });
    const res = await Promise.race([probe, timeout]);
    return res.rows[0]?.r ? 'replica' : 'primary';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** The cached answer for one process. */
export class ConfigStoreProbe {
  #cached: { role: ConfigStoreRole; at: number } | undefined;
  #inflight: Promise<ConfigStoreRole> | undefined;
  readonly #o: Required<Omit<ConfigStoreProbeOptions, 'forced'>> & { forced: 'primary' | 'replica' | undefined };

  constructor(
    private readonly db: Pick<pg.Pool, 'query'>,
    opts: ConfigStoreProbeOptions = {},
  ) {
    this.#o = { cacheMs: 2000, timeoutMs: 2000, now: Date.now, forced: undefined, ...opts };
  }

  /** The role now (cached up to `cacheMs`; a forced role is answered without a query). */
  async role(): Promise<ConfigStoreRole> {
    if (this.#o.forced) return this.#o.forced;
    const now = this.#o.now();
    if (this.#cached && now - this.#cached.at < this.#o.cacheMs) return this.#cached.role;
    this.#inflight ??= detectConfigStoreRole(this.db, this.#o.timeoutMs).then((role) => {
      this.#cached = { role, at: this.#o.now() };
      this.#inflight = undefined;
      return role;
    });
    return this.#inflight;
  }

  /** Forget the cached answer (after a write failed as read-only, say). */
  invalidate(): void {
    this.#cached = undefined;
  }
}
