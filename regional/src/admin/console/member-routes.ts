/**
 * Self-service for console members (OIDC users who belong to a team, see oidc-login.ts): they see their team
 * and its spend, and create and revoke their own keys, within the team's model list and with a budget no larger
 * than what the team has left in its current budget period AFTER what its other active keys may still spend of
 * their budgets (the rule and why: team-allowance.ts). The team's own budget still caps every key of the team
 * together at admission; this check stops a member from handing out a key whose budget the team could never
 * honour.
 */
import type pg from 'pg';
import { z } from 'zod';
import { PermissionDenied, ResourceNotFound } from '../../errors/catalogue.js';
import type { KeyService } from '../../keys/service.js';
import type { TeamService } from '../directory.js';
import type { AdminIdentity } from '../auth.js';
import { defineRoute, type Route } from '../route.js';
import * as S from '../schemas.js';
import { keyOut, listOut } from '../serialize.js';
import { BudgetUseList } from './budget-routes.js';
import { budgetUse, type BudgetSubject } from './budget-use.js';
import { teamAllowance, withTeamLock } from './team-allowance.js';

const MemberKeyCreate = z
  .strictObject({
    alias: z.string().min(1).max(128).optional(),
    models: z.array(z.string().min(1).max(256)).max(100).optional().describe("A subset of the team's models; default: the team's models"),
    budget_usd: z.number().positive().max(1e9).optional().describe("The key's budget for the team's budget period; required when the team has a budget, at most what the team has left"),
  })
  .meta({ id: 'MemberKeyCreate' });
const MemberTeam = z
  .object({ object: z.literal('member_team'), id: z.string(), name: z.string(), models: z.array(z.string()).nullable(), budget: z
      .object({
        max_usd: z.number(), period: z.string(), spent_usd: z.number(), left_usd: z.number().describe('Budget minus spend this period'),
        period_start: z.string().nullable(), resets_at: z.string().nullable(),
        reserved_usd: z.number().describe("What the team's active keys with a budget may still spend of it, together"),
        reserved_keys: z.number().int(),
        available_usd: z.number().describe('The largest budget a new key may have now: left_usd - reserved_usd'),
      })
      .nullable() })
  .meta({ id: 'MemberTeam' });

function member(identity: AdminIdentity): { teamId: string; userId: string } {
  if (identity.role !== 'member' || !identity.teamId || !identity.userId) throw new PermissionDenied('Only console members have a team of their own.', 'role_not_allowed');
  return { teamId: identity.teamId, userId: identity.userId };
}

/** `db`: the config store; `regionalDb`: the regional store (spend), default `db`. */
export function memberRoutes(s: { db: pg.Pool; regionalDb?: pg.Pool | undefined; keys: KeyService; teams: TeamService }): Route[] {
  return [
    defineRoute({
      method: 'GET', path: '/admin/me/team', tag: 'self-service', summary: "The member's team: its models and what is left of its budget this period", member: true, response: MemberTeam,
      handler: async ({ identity }) => {
        const team = await s.teams.get(member(identity).teamId);
        return { body: { object: 'member_team', id: team.id, name: team.name, models: team.allowed_models, budget: await teamAllowance(s.db, team, Date.now(), s.regionalDb ?? s.db) } };
      },
    }),
    defineRoute({
      method: 'GET', path: '/admin/me/keys', tag: 'self-service', summary: "The member's own keys, newest first", member: true, query: S.PageQuery, response: S.listOf(S.KeyObject),
      handler: async ({ identity, query }) => ({ body: listOut(await s.keys.list({ user_id: member(identity).userId }, query), keyOut) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/me/budget-use', tag: 'self-service', summary: "Budget use of the member's own keys with a budget: spent and left this period, and when it resets", member: true, response: BudgetUseList,
      handler: async ({ identity }) => {
        const mine = (await s.db.query('select id, budget_max_usd, budget_period from virtual_keys where user_id = $1 and budget_max_usd is not null and revoked_at is null order by created_at desc limit 100', [member(identity).userId])).rows as BudgetSubject[];
        const use = await budgetUse(s.regionalDb ?? s.db, 'key_id', mine);
        return { body: { object: 'list', scope: 'key', data: [...use.entries()].map(([id, u]) => ({ id, ...u })) } };
      },
    }),
    defineRoute({
      method: 'POST', path: '/admin/me/keys', tag: 'self-service', summary: "Create a key of one's own in the team (models within the team's, budget within what the team has left)", member: true, body: MemberKeyCreate, status: 201, response: S.KeyWithSecret,
      handler: async ({ identity, body }) => {
        const me = member(identity);
        const team = await s.teams.get(me.teamId);
        const allowed = team.allowed_models;
        const outside = allowed && body.models ? body.models.filter((m) => !allowed.includes(m)) : [];
        if (outside.length) throw new PermissionDenied(`The team may not use ${outside.join(', ')}; its models are ${allowed!.join(', ')}.`, 'model_not_allowed_for_team', 'models');
        const create = async (reads: pg.Pool | pg.PoolClient) => {
          const budget = await teamAllowance(reads, team, Date.now(), s.regionalDb ?? reads);
          if (budget && body.budget_usd === undefined) throw new PermissionDenied(`The team has a budget: give the key one (at most $${budget.available_usd.toFixed(2)}).`, 'key_budget_required', 'budget_usd');
          if (budget && body.budget_usd! > budget.available_usd + 1e-9) {
            throw new PermissionDenied(
              `A budget of $${body.budget_usd} exceeds what the team has left this period after its other keys' budgets: ` +
                `$${budget.available_usd.toFixed(2)} ($${budget.left_usd.toFixed(2)} left of $${budget.max_usd.toFixed(2)}, ` +
                `$${budget.reserved_usd.toFixed(2)} of it still reserved by ${budget.reserved_keys} active key${budget.reserved_keys === 1 ? '' : 's'}).`,
              'key_budget_exceeds_team',
              'budget_usd',
            );
          }
          return s.keys.create(identity.actor, {
            alias: body.alias ?? null,
            team_id: me.teamId,
            user_id: me.userId,
            models: body.models ?? allowed ?? null,
            ...(body.budget_usd !== undefined ? { budget: { max_usd: body.budget_usd, period: budget?.period ?? 'monthly' } } : {}),
          });
        };
        // Under the team's lock: two members at once cannot both take the same allowance.
        const { key, row } = team.budget_max_usd == null ? await create(s.db) : await withTeamLock(s.db, me.teamId, create);
        return { status: 201, body: { ...keyOut(row), key } };
      },
    }),
    defineRoute({
      method: 'POST', path: '/admin/me/keys/{id}/revoke', tag: 'self-service', summary: "Revoke one of one's own keys", member: true, body: S.KeyRevoke, response: S.KeyObject,
      handler: async ({ identity, params, body }) => {
        const me = member(identity);
        const key = await s.keys.get(params.id!).catch(() => undefined);
        // Someone else's key answers like a missing one: members learn nothing about other keys.
        if (!key || key.user_id !== me.userId) throw new ResourceNotFound('key', params.id!);
        return { body: keyOut(await s.keys.revoke(identity.actor, params.id!, body.reason)) };
      },
    }),
  ];
}
