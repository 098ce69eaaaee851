/** Every admin route. Handlers are thin: validation happened in the server, work happens in the services. */
import type pg from 'pg';
import { z } from 'zod';
import type { AuditRow } from '../db/audit.js';
import type { KeyService } from '../keys/service.js';
import type { DeploymentService } from './deployments.js';
import type { TeamService, UserService } from './directory.js';
import { defineRoute, type Route } from './route.js';
import * as S from './schemas.js';
import { auditOut, deploymentOut, keyOut, listOut, teamOut, userOut } from './serialize.js';
import { spendReport } from './spend.js';

export interface Services {
  /** The config store (audit log). */
  db: pg.Pool;
  /** The regional store (spend); default `db` (one database). */
  regionalDb?: pg.Pool | undefined;
  keys: KeyService;
  teams: TeamService;
  users: UserService;
  deployments: DeploymentService;
}

const Deleted = z.object({ id: z.string(), object: z.string(), deleted: z.literal(true) }).meta({ id: 'Deleted' });

export function adminRoutes(s: Services): Route[] {
  return [
    // ── keys ──
    defineRoute({
      method: 'POST', path: '/admin/keys', tag: 'keys', summary: 'Create a virtual key (the plaintext key is in this response only)', body: S.KeyCreate, status: 201, response: S.KeyWithSecret,
      handler: async ({ body, identity }) => {
        const { key, row } = await s.keys.create(identity.actor, body);
        return { status: 201, body: { ...keyOut(row), key } };
      },
    }),
    defineRoute({
      method: 'GET', path: '/admin/keys', tag: 'keys', summary: 'List keys (newest first) with filters', query: S.KeyListQuery, response: S.listOf(S.KeyObject),
      handler: async ({ query: { limit, cursor, ...filters } }) => ({ body: listOut(await s.keys.list(filters, { limit, cursor }), keyOut) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/keys/{id}', tag: 'keys', summary: 'Get a key', response: S.KeyObject,
      handler: async ({ params }) => ({ body: keyOut(await s.keys.get(params.id!)) }),
    }),
    defineRoute({
      method: 'PATCH', path: '/admin/keys/{id}', tag: 'keys', summary: 'Update models, limits, budget, expiry or metadata', body: S.KeyUpdate, response: S.KeyObject,
      handler: async ({ params, body, identity }) => ({ body: keyOut(await s.keys.update(identity.actor, params.id!, body)) }),
    }),
    defineRoute({
      method: 'POST', path: '/admin/keys/{id}/revoke', tag: 'keys', summary: 'Revoke a key (every replica and the edge stop accepting it)', body: S.KeyRevoke, response: S.KeyObject,
      handler: async ({ params, body, identity }) => ({ body: keyOut(await s.keys.revoke(identity.actor, params.id!, body.reason)) }),
    }),
    defineRoute({
      method: 'POST', path: '/admin/keys/{id}/rotate', tag: 'keys', summary: 'Issue a replacement key; the old one works until the grace period ends', body: S.KeyRotate, status: 201,
      response: z.object({ key: S.KeyWithSecret, previous: S.KeyObject, warning: z.string().optional().describe('Set when the rotation could not be published to the API replicas') }),
      handler: async ({ params, body, identity }) => {
        const r = await s.keys.rotate(identity.actor, params.id!, body.grace_period_seconds);
        return { status: 201, body: { key: { ...keyOut(r.row), key: r.key }, previous: keyOut(r.previous), ...(r.warning ? { warning: r.warning } : {}) } };
      },
    }),
    // ── teams ──
    defineRoute({
      method: 'POST', path: '/admin/teams', tag: 'teams', summary: 'Create a team', body: S.TeamCreate, status: 201, response: S.TeamObject,
      handler: async ({ body, identity }) => ({ status: 201, body: teamOut(await s.teams.create(identity.actor, body)) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/teams', tag: 'teams', summary: 'List teams', query: S.PageQuery, response: S.listOf(S.TeamObject),
      handler: async ({ query }) => ({ body: listOut(await s.teams.list([], [], query), teamOut) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/teams/{id}', tag: 'teams', summary: 'Get a team', response: S.TeamObject,
      handler: async ({ params }) => ({ body: teamOut(await s.teams.get(params.id!)) }),
    }),
    defineRoute({
      method: 'PATCH', path: '/admin/teams/{id}', tag: 'teams', summary: 'Update a team', body: S.TeamUpdate, response: S.TeamObject,
      handler: async ({ params, body, identity }) => ({ body: teamOut(await s.teams.update(identity.actor, params.id!, body)) }),
    }),
    defineRoute({
      method: 'DELETE', path: '/admin/teams/{id}', tag: 'teams', summary: 'Delete a team that no key or user references', response: Deleted,
      handler: async ({ params, identity }) => {
        await s.teams.delete(identity.actor, params.id!);
        return { body: { id: params.id, object: 'team', deleted: true } };
      },
    }),
    // ── users ──
    defineRoute({
      method: 'POST', path: '/admin/users', tag: 'users', summary: 'Create a user', body: S.UserCreate, status: 201, response: S.UserObject,
      handler: async ({ body, identity }) => ({ status: 201, body: userOut(await s.users.create(identity.actor, body)) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/users', tag: 'users', summary: 'List users', query: S.UserListQuery, response: S.listOf(S.UserObject),
      handler: async ({ query: { team_id, ...page } }) => ({ body: listOut(await s.users.list(team_id ? ['team_id = $1'] : [], team_id ? [team_id] : [], page), userOut) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/users/{id}', tag: 'users', summary: 'Get a user', response: S.UserObject,
      handler: async ({ params }) => ({ body: userOut(await s.users.get(params.id!)) }),
    }),
    defineRoute({
      method: 'PATCH', path: '/admin/users/{id}', tag: 'users', summary: 'Update a user', body: S.UserUpdate, response: S.UserObject,
      handler: async ({ params, body, identity }) => ({ body: userOut(await s.users.update(identity.actor, params.id!, body)) }),
    }),
    defineRoute({
      method: 'DELETE', path: '/admin/users/{id}', tag: 'users', summary: 'Delete a user that no key references', response: Deleted,
      handler: async ({ params, identity }) => {
        await s.users.delete(identity.actor, params.id!);
        return { body: { id: params.id, object: 'user', deleted: true } };
      },
    }),
    // ── deployments ──
    defineRoute({
      method: 'POST', path: '/admin/deployments', tag: 'deployments', summary: 'Add a model deployment (credentials are write-only)', body: S.DeploymentCreate, status: 201, response: S.DeploymentObject,
      handler: async ({ body, identity }) => ({ status: 201, body: deploymentOut(await s.deployments.create(identity.actor, body)) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/deployments', tag: 'deployments', summary: 'List model deployments', query: S.DeploymentListQuery, response: S.listOf(S.DeploymentObject),
      handler: async ({ query: { model_name, ...page } }) => ({ body: listOut(await s.deployments.list(model_name, page), deploymentOut) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/deployments/{id}', tag: 'deployments', summary: 'Get a model deployment', response: S.DeploymentObject,
      handler: async ({ params }) => ({ body: deploymentOut(await s.deployments.get(params.id!)) }),
    }),
    defineRoute({
      method: 'PATCH', path: '/admin/deployments/{id}', tag: 'deployments', summary: 'Update a model deployment', body: S.DeploymentUpdate, response: S.DeploymentObject,
      handler: async ({ params, body, identity }) => ({ body: deploymentOut(await s.deployments.update(identity.actor, params.id!, body)) }),
    }),
    defineRoute({
      method: 'DELETE', path: '/admin/deployments/{id}', tag: 'deployments', summary: 'Delete a model deployment', response: Deleted,
      handler: async ({ params, identity }) => {
        await s.deployments.delete(identity.actor, params.id!);
        return { body: { id: params.id, object: 'deployment', deleted: true } };
      },
    }),
    // ── reports ──
    defineRoute({
      method: 'GET', path: '/admin/spend', tag: 'spend', summary: 'Spend by key, team, user, model or day (UTC days, from the aggregates)', query: S.SpendQuery, response: S.SpendReport,
      handler: async ({ query }) => ({ body: await spendReport(s.regionalDb ?? s.db, query) }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/audit', tag: 'audit', summary: 'The audit log, newest first', query: S.AuditQuery, response: S.listOf(S.AuditObject),
      handler: async ({ query }) => {
        const where: string[] = [];
        const params: unknown[] = [];
        if (query.entity_type) where.push(`entity_type = $${params.push(query.entity_type)}`);
        if (query.entity_id) where.push(`entity_id = $${params.push(query.entity_id)}`);
        if (query.cursor && /^\d+$/.test(query.cursor)) where.push(`id < $${params.push(query.cursor)}`);
        const rows = (await s.db.query(`select * from audit_log ${where.length ? 'where ' + where.join(' and ') : ''} order by id desc limit $${params.push(query.limit + 1)}`, params)).rows as AuditRow[];
        const hasMore = rows.length > query.limit;
        const data = rows.slice(0, query.limit);
        return { body: listOut({ data, hasMore, nextCursor: hasMore ? String(data[data.length - 1]!.id) : null }, auditOut) };
      },
    }),
  ];
}
