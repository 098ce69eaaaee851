/**
 * Budget use for the console's keys list, a key's page and the Spend page: spent / budget in the current period
 * and the reset date, for a page of keys or for teams (budget-use.ts computes it).
 */
import type pg from 'pg';
import { z } from 'zod';
import type { BudgetColumns } from '../../keys/records.js';
import { defineRoute, type Route } from '../route.js';
import { budgetUse } from './budget-use.js';

const BudgetUseQuery = z.strictObject({
  scope: z.enum(['key', 'team']),
  ids: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}(,[A-Za-z0-9_.:-]{1,128}){0,99}$/, 'up to 100 comma-separated ids')
    .optional()
    .describe('Comma-separated key or team ids (at most 100); required for keys, default every team with a budget'),
});
const BudgetUseObject = z
  .object({
    id: z.string(),
    max_usd: z.number(),
    period: z.enum(['daily', 'weekly', 'monthly', 'none']),
    spent_usd: z.number(),
    left_usd: z.number(),
    period_start: z.string().nullable().describe('First UTC day of the current period; null for a lifetime budget'),
    resets_at: z.string().nullable().describe('When the period ends; null for a lifetime budget'),
  })
  .meta({ id: 'BudgetUse' });
export const BudgetUseList = z.object({ object: z.literal('list'), scope: z.enum(['key', 'team']), data: z.array(BudgetUseObject) }).meta({ id: 'BudgetUseList' });

type Subject = { id: string } & Pick<BudgetColumns, 'budget_max_usd' | 'budget_period'>;

/** `db`: the config store (keys, teams); `regionalDb`: the regional store (spend), default `db`. */
export function budgetRoutes(s: { db: pg.Pool; regionalDb?: pg.Pool | undefined }): Route[] {
  return [
    defineRoute({
      method: 'GET', path: '/admin/budget-use', tag: 'spend', summary: 'Budget use of keys or teams: spent and left this period, and when it resets (ids without a budget are left out)', query: BudgetUseQuery, response: BudgetUseList,
      handler: async ({ query }) => {
        const ids = query.ids ? [...new Set(query.ids.split(','))] : undefined;
        let subjects: Subject[] = [];
        if (query.scope === 'key') {
          if (ids) subjects = (await s.db.query('select id, budget_max_usd, budget_period from virtual_keys where id = any($1::text[])', [ids])).rows as Subject[];
        } else {
          subjects = (
            ids
              ? await s.db.query('select id, budget_max_usd, budget_period from teams where id = any($1::text[])', [ids])
              : await s.db.query('select id, budget_max_usd, budget_period from teams where budget_max_usd is not null order by name limit 500')
          ).rows as Subject[];
        }
        const use = await budgetUse(s.regionalDb ?? s.db, query.scope === 'key' ? 'key_id' : 'team_id', subjects);
        return { body: { object: 'list', scope: query.scope, data: [...use.entries()].map(([id, u]) => ({ id, ...u })) } };
      },
    }),
  ];
}
