/** Teams and users: CRUD with audit entries and change events (their limits/budgets are part of keys' principals). */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import { writeAudit, type Actor } from '../db/audit.js';
import { inTransaction } from '../db/pool.js';
import { insertRow, jsonb, listPage, selectForUpdate, updateRow, type Page } from '../db/sql.js';
import type { ChangeBus } from '../keys/events.js';
import type { TeamRow, UserRow } from '../keys/records.js';
import { ResourceConflict, ResourceNotFound } from '../errors/catalogue.js';
import type { TeamCreate, TeamUpdate, UserCreate, UserUpdate } from './schemas.js';

type Budget = { max_usd: number; period: string; alert_at?: number[] | undefined } | null | undefined;

function budgetColumns(b: Budget): Record<string, unknown> {
  if (b === undefined) return {};
  return { budget_max_usd: b?.max_usd ?? null, budget_period: b?.period ?? 'none', budget_alert_at: b?.alert_at ?? [] };
}

function translate(kind: string) {
  return (err: unknown): never => {
    const e = err as { code?: string; constraint?: string; detail?: string };
    if (e.code === '23505') throw new ResourceConflict(`A ${kind} with this ${e.constraint?.includes('email') ? 'email' : 'name'} already exists.`, `${kind}_exists`);
    if (e.code === '23503') throw new ResourceConflict(`The ${kind} is referenced by other records or references a missing one (${e.detail ?? e.constraint}).`, `${kind}_in_use`);
    throw err;
  };
}

interface Table<R> {
  table: 'teams' | 'users';
  kind: 'team' | 'user';
  columns(input: Record<string, unknown>): Record<string, unknown>;
  _row?: R;
}

/** Generic CRUD shared by teams and users. */
class DirectoryService<R extends { id: string; created_at: Date }> {
  constructor(
    private readonly db: pg.Pool,
    private readonly bus: ChangeBus,
    private readonly t: Table<R>,
  ) {}

  async create(actor: Actor, input: Record<string, unknown>): Promise<R> {
    const row = await inTransaction(this.db, async (c) => {
      const created = await insertRow<R>(c, this.t.table, { id: `${this.t.kind}_${randomBytes(8).toString('hex')}`, ...this.t.columns(input) });
      await writeAudit(c, actor, { action: `${this.t.kind}.create`, entityType: this.t.kind, entityId: created.id, before: null, after: created });
      return created;
    }).catch(translate(this.t.kind));
    await this.bus.publish({ type: this.t.kind, id: row.id, action: 'created' }).catch(() => undefined);
    return row;
  }

  async get(id: string): Promise<R> {
    const row = (await this.db.query(`select * from ${this.t.table} where id = $1`, [id])).rows[0] as R | undefined;
    if (!row) throw new ResourceNotFound(this.t.kind, id);
    return row;
  }

  list(where: string[], params: unknown[], page: { limit: number; cursor?: string | undefined }): Promise<Page<R>> {
    return listPage<R>(this.db, this.t.table, where, params, page);
  }

  async update(actor: Actor, id: string, input: Record<string, unknown>): Promise<R> {
    const row = await inTransaction(this.db, async (c) => {
      const before = await selectForUpdate<R>(c, this.t.table, id);
      if (!before) throw new ResourceNotFound(this.t.kind, id);
      const after = (await updateRow<R>(c, this.t.table, id, this.t.columns(input)))!;
      await writeAudit(c, actor, { action: `${this.t.kind}.update`, entityType: this.t.kind, entityId: id, before, after });
      return after;
    }).catch(translate(this.t.kind));
    await this.bus.publish({ type: this.t.kind, id, action: 'updated' }).catch(() => undefined);
    return row;
  }

  /** Refused (409) while keys or users still reference it. */
  async delete(actor: Actor, id: string): Promise<void> {
    await inTransaction(this.db, async (c) => {
      const before = await selectForUpdate<R>(c, this.t.table, id);
      if (!before) throw new ResourceNotFound(this.t.kind, id);
      await c.query(`delete from ${this.t.table} where id = $1`, [id]);
      await writeAudit(c, actor, { action: `${this.t.kind}.delete`, entityType: this.t.kind, entityId: id, before, after: null });
    }).catch(translate(this.t.kind));
    await this.bus.publish({ type: this.t.kind, id, action: 'deleted' }).catch(() => undefined);
  }
}

export class TeamService extends DirectoryService<TeamRow> {
  constructor(db: pg.Pool, bus: ChangeBus) {
    super(db, bus, {
      table: 'teams',
      kind: 'team',
      columns: (raw) => {
        const i = raw as z.infer<typeof TeamUpdate>;
        return {
          name: i.name,
          allowed_models: i.models,
          limits: i.limits === undefined ? undefined : jsonb(i.limits),
          ...budgetColumns(i.budget),
          archive_payloads: i.archive_payloads,
          home_region: i.home_region,
          metadata: i.metadata === undefined ? undefined : jsonb(i.metadata),
        };
      },
    });
  }
  override create(actor: Actor, input: z.infer<typeof TeamCreate>): Promise<TeamRow> {
    return super.create(actor, input);
  }
}

export class UserService extends DirectoryService<UserRow> {
  constructor(db: pg.Pool, bus: ChangeBus) {
    super(db, bus, {
      table: 'users',
      kind: 'user',
      columns: (raw) => {
        const i = raw as z.infer<typeof UserUpdate>;
        return {
          email: i.email,
          name: i.name,
          team_id: i.team_id,
          limits: i.limits === undefined ? undefined : jsonb(i.limits),
          ...budgetColumns(i.budget),
          metadata: i.metadata === undefined ? undefined : jsonb(i.metadata),
        };
      },
    });
  }
  override create(actor: Actor, input: z.infer<typeof UserCreate>): Promise<UserRow> {
    return super.create(actor, input);
  }
}
