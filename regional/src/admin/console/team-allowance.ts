/**
 * How much budget a member may still hand to a new key of their team.
 *
 * The rule: available = team budget − team spend this period − what the team's other active keys may still
 * spend of their own budgets (each key's budget minus its spend in its current period, never below 0).
 *
 * Why not "team left − sum of other keys' budgets": a key's spend is already in the team's spend, so subtracting
 * its whole budget would count what it has spent twice. Why not "team left" alone (the old rule): two members
 * could each take a key for everything the team has left, and the keys together could never be honoured.
 * Keys without a budget reserve nothing (only the team budget caps them, at admission). A rotated key counts
 * once (its successor); revoked and expired keys count not at all. A key whose budget period differs from the
 * team's counts with what it has left in its own current period. The team budget still caps every key of the
 * team together at admission: this rule only keeps the keys' budgets within what the team can honour.
 */
import type pg from 'pg';
import { ServiceUnavailable } from '../../errors/catalogue.js';
import type { TeamRow } from '../../keys/records.js';
import { budgetUse, type BudgetSubject, type BudgetUse } from './budget-use.js';

export interface TeamAllowance extends BudgetUse {
  /** What the team's active keys with a budget may still spend of it, together. */
  reserved_usd: number;
  /** How many active keys with a budget that is. */
  reserved_keys: number;
  /** The largest budget a new key may have now: `left_usd - reserved_usd`, never below 0. */
  available_usd: number;
}

/** The active keys of a team that carry a budget (a rotated key's successor, not the key it replaced). */
async function budgetedKeys(db: pg.Pool | pg.PoolClient, teamId: string): Promise<BudgetSubject[]> {
  const res = await db.query(
    `select id, budget_max_usd, budget_period from virtual_keys
     where team_id = $1 and budget_max_usd is not null and revoked_at is null and replaced_by is null
       and (expires_at is null or expires_at > now())`,
    [teamId],
  );
  return res.rows as BudgetSubject[];
}

/**
 * The team's budget use and what is left for a new key; null when the team has no budget. `db` is the config store
 * (keys), `spendDb` the regional store (spend_daily).
 */
export async function teamAllowance(db: pg.Pool | pg.PoolClient, team: TeamRow, now = Date.now(), spendDb: pg.Pool | pg.PoolClient = db): Promise<TeamAllowance | null> {
  const own = (await budgetUse(spendDb, 'team_id', [team], now)).get(team.id);
  if (!own) return null;
  const keys = await budgetedKeys(db, team.id);
  const uses = [...(await budgetUse(spendDb, 'key_id', keys, now)).values()];
  const reserved = uses.reduce((sum, u) => sum + u.left_usd, 0);
  return { ...own, reserved_usd: reserved, reserved_keys: uses.length, available_usd: Math.max(0, own.left_usd - reserved) };
}

/**
 * Run `fn` while holding a Postgres advisory lock for the team, so that two members creating keys at once cannot
 * both take the same allowance. Session-level, on a connection of its own that `fn` gets for its reads; the key is
 * written (and its change event published) by the key service after its own commit, inside the lock. A waiter
 * polls with `pg_try_advisory_lock` and gives its connection back between tries: waiters never hold the pool's
 * connections while the holder needs one to write the key.
 */
export async function withTeamLock<T>(db: pg.Pool, teamId: string, fn: (client: pg.PoolClient) => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const lockKey = `skyway:team-key-budget:${teamId}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = await db.connect();
    let got = false;
    try {
      got = (await client.query<{ got: boolean }>('select pg_try_advisory_lock(hashtext($1)) as got', [lockKey])).rows[0]!.got;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    if (got) {
      let broken: Error | undefined;
      try {
        return await fn(client);
      } finally {
        await client.query('select pg_advisory_unlock(hashtext($1))', [lockKey]).catch((err: Error) => (broken = err));
        // A connection whose unlock failed may still hold the lock: destroy it rather than return it to the pool.
        client.release(broken);
      }
    }
    client.release();
    if (Date.now() > deadline) throw new ServiceUnavailable('Another key of this team is being created: try again in a moment.', 'team_busy');
    await new Promise((r) => setTimeout(r, 25 + Math.random() * 50));
  }
}
