/**
 * Where translated Responses API responses live: Postgres when the gateway has a database (every replica
 * sees every response; table `responses`, migration 1733400000001), else process memory (one replica, bounded,
 * lost on restart). Each row belongs to an owner (the key's team); reads and deletes match id and owner, so a
 * key cannot see another team's responses — not even whether an id exists.
 */
import type pg from 'pg';
import type { ResponseObject, ResponsesInputItem } from './responses-wire.js';

export interface StoredResponse {
  id: string;
  owner: string;
  model: string;
  response: ResponseObject;
  /** This request's input items. */
  input: ResponsesInputItem[];
  /** The conversation up to and including this response's output (what a follow-up continues). */
  context: ResponsesInputItem[];
}

export interface ResponseStore {
  save(r: StoredResponse): Promise<void>;
  get(id: string, owner: string): Promise<StoredResponse | undefined>;
  /** True when a row was deleted. */
  delete(id: string, owner: string): Promise<boolean>;
}

/** Default lifetime of a stored response: 30 days, as OpenAI keeps them. */
export const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;

export class PostgresResponseStore implements ResponseStore {
  private saves = 0;
  constructor(
    private readonly db: Pick<pg.Pool, 'query'>,
    private readonly ttlSeconds = DEFAULT_TTL_SECONDS,
  ) {}

  async save(r: StoredResponse): Promise<void> {
    await this.db.query(
      `insert into responses (id, owner, model, response, input, context, expires_at)
       values ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
       on conflict (id) do update set response = excluded.response, context = excluded.context`,
      [r.id, r.owner, r.model, JSON.stringify(r.response), JSON.stringify(r.input), JSON.stringify(r.context), this.ttlSeconds],
    );
    // Expired rows go in small batches on the write path, so no job is needed and no write waits long.
    if (++this.saves % 100 === 1) {
      await this.db.query(`delete from responses where id in (select id from responses where expires_at < now() limit 500)`);
    }
  }

  async get(id: string, owner: string): Promise<StoredResponse | undefined> {
    const { rows } = await this.db.query<StoredResponse>(
      `select id, owner, model, response, input, context from responses where id = $1 and owner = $2 and expires_at > now()`,
      [id, owner],
    );
    return rows[0];
  }

  async delete(id: string, owner: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`delete from responses where id = $1 and owner = $2`, [id, owner]);
    return (rowCount ?? 0) > 0;
  }
}

/** One replica's store: at most `max` responses, oldest dropped first, each for `ttlSeconds`. */
export class MemoryResponseStore implements ResponseStore {
  private readonly rows = new Map<string, { r: StoredResponse; expiresAt: number }>();
  constructor(
    private readonly ttlSeconds = DEFAULT_TTL_SECONDS,
    private readonly max = 10_000,
  ) {}

  async save(r: StoredResponse): Promise<void> {
    this.rows.delete(r.id);
    this.rows.set(r.id, { r, expiresAt: Date.now() + this.ttlSeconds * 1000 });
    if (this.rows.size > this.max) this.rows.delete(this.rows.keys().next().value!);
  }

  async get(id: string, owner: string): Promise<StoredResponse | undefined> {
    const row = this.rows.get(id);
    if (!row || row.r.owner !== owner) return undefined;
    if (row.expiresAt <= Date.now()) {
      this.rows.delete(id);
      return undefined;
    }
    return row.r;
  }

  async delete(id: string, owner: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.r.owner !== owner) return false;
    return this.rows.delete(id);
  }
}

/**
 * The store for this process. `SKYWAY_RESPONSES_TTL_SECONDS` sets the lifetime (default 30 days).
 * @example const store = responseStoreFor(stores.db, process.env);
 */
export function responseStoreFor(db: Pick<pg.Pool, 'query'> | undefined, env: NodeJS.ProcessEnv): ResponseStore {
  const ttl = Number(env.SKYWAY_RESPONSES_TTL_SECONDS) > 0 ? Number(env.SKYWAY_RESPONSES_TTL_SECONDS) : DEFAULT_TTL_SECONDS;
  return db ? new PostgresResponseStore(db, ttl) : new MemoryResponseStore(ttl);
}
