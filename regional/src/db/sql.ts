/** Small helpers for parameterised INSERT/UPDATE from a column → value map (column names are never user input). */
import type { Queryable } from './pool.js';

const IDENT = /^[a-z_][a-z0-9_]*$/;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a column name: ${name}`);
  return name;
}

/** pg sends plain objects as JSON already; arrays would become Postgres arrays, so jsonb columns are stringified. */
export function jsonb(v: unknown): string | null {
  return v == null ? null : JSON.stringify(v);
}

export async function insertRow<R>(q: Queryable, table: string, values: Record<string, unknown>): Promise<R> {
  const cols = Object.keys(values).filter((c) => values[c] !== undefined);
  const sql = `insert into ${ident(table)} (${cols.map(ident).join(', ')}) values (${cols.map((_, i) => `$${i + 1}`).join(', ')}) returning *`;
  const res = await q.query(sql, cols.map((c) => values[c]));
  return res.rows[0] as R;
}

/** Update the given columns (undefined = untouched) and `updated_at`; returns the new row or null when absent. */
export async function updateRow<R>(q: Queryable, table: string, id: string, values: Record<string, unknown>): Promise<R | null> {
  const cols = Object.keys(values).filter((c) => values[c] !== undefined);
  const sets = cols.map((c, i) => `${ident(c)} = $${i + 2}`).concat('updated_at = now()');
  const res = await q.query(`update ${ident(table)} set ${sets.join(', ')} where id = $1 returning *`, [id, ...cols.map((c) => values[c])]);
  return (res.rows[0] as R | undefined) ?? null;
}

/** The row with `id`, locked for update when inside a transaction. */
export async function selectForUpdate<R>(q: Queryable, table: string, id: string): Promise<R | null> {
  const res = await q.query(`select * from ${ident(table)} where id = $1 for update`, [id]);
  return (res.rows[0] as R | undefined) ?? null;
}

/** Opaque keyset cursor over (created_at, id). */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0]))) return { createdAt: v[0], id: v[1] };
  } catch {
    /* fall through */
  }
  return null;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

/**
 * A page of `table` newest first, with `where` fragments (using $1…$n from `params`) ANDed together.
 */
export async function listPage<R extends { created_at: Date; id: string }>(
  q: Queryable,
  table: string,
  where: string[],
  params: unknown[],
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<R>> {
  const conds = [...where];
  const args = [...params];
  if (page.cursor) {
    const c = decodeCursor(page.cursor);
    if (c) {
      args.push(c.createdAt, c.id);
      conds.push(`(created_at, id) < ($${args.length - 1}::timestamptz, $${args.length})`);
    }
  }
  args.push(page.limit + 1);
  const sql = `select * from ${ident(table)}${conds.length ? ' where ' + conds.join(' and ') : ''} order by created_at desc, id desc limit $${args.length}`;
  const rows = (await q.query(sql, args)).rows as R[];
  const hasMore = rows.length > page.limit;
  const data = hasMore ? rows.slice(0, page.limit) : rows;
  const last = data[data.length - 1];
  return { data, hasMore, nextCursor: hasMore && last ? encodeCursor(last.created_at, last.id) : null };
}
