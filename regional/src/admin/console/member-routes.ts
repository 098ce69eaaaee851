/**
 * Self-service for console members (OIDC users who belong to a team, see oidc-login.ts): they see their team
 * and its spend, and create and revoke their own keys, within the team's model list and with a budget no larger
 * than what the team has left in its current budget period (team budget minus the team's spend so far). The
 * team's own budget still caps every key of the team together at admission; this check stops a member from
 * handing out a key whose budget the team could never honour.
 */
import type pg from 'pg';
import { z } from 'zod';
import { PermissionDenied, ResourceNotFound } from '../../errors/catalogue.js';
import { periodDays } from '../../admission/ledger.js';
import { budgetPeriod } from '../../admission/plan.js';
import type { KeyService } from '../../keys/service.js';
import type { TeamRow } from '../../keys/records.js';
import type { TeamService } from '../directory.js';
import type { AdminIdentity } from '../auth.js';
import { defineRoute, type Route } from '../route.js';
import * as S from '../schemas.js';
import { keyOut, listOut } from '../serialize.js';

const MemberKeyCreate = z
  .strictObject({
    alias: z.string().min(1).max(128).optional(),
    models: z.array(z.string().min(1).max(256)).max(100).optional().describe("A subset of the team's models; default: the team's models"),
    budget_usd: z.number().positive().max(1e9).optional().describe("The key's budget for the team's budget period; required when the team has a budget, at most what the team has left"),
  })
  .meta({ id: 'MemberKeyCreate' });
const MemberTeam = z
  .object({ object: z.literal('member_team'), id: z.string(), name: z.string(), models: z.array(z.string()).nullable(), budget: z.object({ max_usd: z.number(), period: z.string(), spent_usd: z.number(), left_usd: z.number(), resets_at: z.string().nullable() }).nullable() })
  .meta({ id: 'MemberTeam' });

interface TeamBudget {
  max_usd: number;
  period: TeamRow['budget_period'];
  spent_usd: number;
  left_usd: number;
  resets_at: string | null;
}

async function teamBudget(db: pg.Pool, team: TeamRow): Promise<TeamBudget | null> {
  if (team.budget_max_usd == null) return null;
  const max = Number(team.budget_max_usd);
  const now = Date.now();
  const period = budgetPeriod(team.budget_period, now);
  const { from, to } = periodDays(period.id);
  const params: unknown[] = [team.id];
  let where = 'team_id = $1';
  if (from) where += ` and day >= $${params.push(from)}::date`;
  if (to) where += ` and day < $${params.push(to)}::date`;
  const spent = Number((await db.query(`select coalesce(sum(cost_usd), 0)::float8 as s from spend_daily where ${where}`, params)).rows[0].s);
  return { max_usd: max, period: team.budget_period, spent_usd: spent, left_usd: Math.max(0, max - spent), resets_at: team.budget_period === 'none' ? null : new Date(now + period.remainingMs).toISOString() };
}

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
        return { body: { object: 'member_team', id: team.id, name: team.name, models: team.allowed_models, budget: await teamBudget(s.regionalDb ?? s.db, team) } };
      },
    }),
    defineRoute({
      method: 'GET', path: '/admin/me/keys', tag: 'self-service', summary: "The member's own keys, newest first", member: true, query: S.PageQuery, response: S.listOf(S.KeyObject),
      handler: async ({ identity, query }) => ({ body: listOut(await s.keys.list({ user_id: member(identity).userId }, query), keyOut) }),
    }),
    defineRoute({
      method: 'POST', path: '/admin/me/keys', tag: 'self-service', summary: "Create a key of one's own in the team (models within the team's, budget within what the team has left)", member: true, body: MemberKeyCreate, status: 201, response: S.KeyWithSecret,
      handler: async ({ identity, body }) => {
        const me = member(identity);
        const team = await s.teams.get(me.teamId);
        const allowed = team.allowed_models;
        const outside = allowed && body.models ? body.models.filter((m) => !allowed.includes(m)) : [];
        if (outside.length) throw new PermissionDenied(`The team may not use ${outside.join(', ')}; its models are ${allowed!.join(', ')}.`, 'model_not_allowed_for_team', 'models');
        const budget = await teamBudget(s.regionalDb ?? s.db, team);
        if (budget && body.budget_usd === undefined) throw new PermissionDenied(`The team has a budget: give the key one (at most $${budget.left_usd.toFixed(2)}).`, 'key_budget_required', 'budget_usd');
        if (budget && body.budget_usd! > budget.left_usd + 1e-9) {
          throw new PermissionDenied(`A budget of $${body.budget_usd} exceeds what the team has left this period ($${budget.left_usd.toFixed(2)} of $${budget.max_usd.toFixed(2)}).`, 'key_budget_exceeds_team', 'budget_usd');
        }
        const { key, row } = await s.keys.create(identity.actor, {
          alias: body.alias ?? null,
          team_id: me.teamId,
          user_id: me.userId,
          models: body.models ?? allowed ?? null,
          ...(body.budget_usd !== undefined ? { budget: { max_usd: body.budget_usd, period: budget?.period ?? 'monthly' } } : {}),
        });
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
