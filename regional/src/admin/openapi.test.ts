import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import { localChangeBus } from '../keys/events.js';
import { KeyService } from '../keys/service.js';
import { parseSigningSecrets } from '../keys/signing-secrets.js';
import { TEST_SIGNING_SECRETS } from '../../../test-support/test-db.js';
import { DeploymentService } from './deployments.js';
import { TeamService, UserService } from './directory.js';
import { buildOpenApi } from './openapi.js';
import { adminRoutes } from './routes.js';
import { createAdminAuthenticator } from './auth.js';
import { consoleRoutes } from './console/routes.js';
import { ConsoleSessions } from './console/session.js';
import { memberRoutes } from './console/member-routes.js';
import { budgetRoutes } from './console/budget-routes.js';
import { oidcLoginRoutes } from './console/oidc-login.js';
import { requestLogFromEnv } from './console/request-log-source.js';
import { requestRoutes } from './console/request-routes.js';

type Json = Record<string, unknown>;
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Structural checks of OpenAPI 3.1 that matter for this document: required fields, unique operation ids, path parameters declared, every $ref resolvable. */
function validateOpenApi31(doc: Json): string[] {
  const problems: string[] = [];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) problems.push('openapi must be 3.1.x');
  const info = doc.info as Json | undefined;
  if (!info || typeof info.title !== 'string' || typeof info.version !== 'string') problems.push('info.title and info.version are required');
  const paths = doc.paths as Record<string, Record<string, Json>> | undefined;
  if (!paths || typeof paths !== 'object') return [...problems, 'paths is required'];
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Json;
  const opIds = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/')) problems.push(`path ${path} must start with /`);
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) problems.push(`${path}: ${method} is not an HTTP method`);
      const id = op.operationId as string;
      if (!id || opIds.has(id)) problems.push(`${method} ${path}: operationId missing or duplicate`);
      opIds.add(id);
      const responses = op.responses as Record<string, Json> | undefined;
      if (!responses || !Object.keys(responses).length) problems.push(`${method} ${path}: responses required`);
      for (const [code, r] of Object.entries(responses ?? {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${method} ${path}: bad response code ${code}`);
        if (typeof r.description !== 'string') problems.push(`${method} ${path} ${code}: description required`);
      }
      const params = (op.parameters ?? []) as Json[];
      for (const p of params) {
        if (!['query', 'header', 'path', 'cookie'].includes(p.in as string)) problems.push(`${method} ${path}: parameter ${String(p.name)} has bad 'in'`);
        if (p.in === 'path' && p.required !== true) problems.push(`${method} ${path}: path parameter ${String(p.name)} must be required`);
        if (!p.schema) problems.push(`${method} ${path}: parameter ${String(p.name)} needs a schema`);
      }
      for (const name of templated) if (!params.some((p) => p.in === 'path' && p.name === name)) problems.push(`${method} ${path}: path parameter ${name} not declared`);
    }
  }
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}/${i}`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref') {
          const m = /^#\/components\/schemas\/(.+)$/.exec(String(x));
          if (!m || !(m[1]! in schemas)) problems.push(`${at}: unresolvable $ref ${String(x)}`);
        } else walk(x, `${at}/${k}`);
      }
    }
  };
  walk(doc, '#');
  return problems;
}

test('the admin OpenAPI document is valid 3.1 and documents every route', () => {
  const db = {} as pg.Pool;
  const secrets = parseSigningSecrets(TEST_SIGNING_SECRETS);
  const routes = [
    ...adminRoutes({
      db,
      keys: new KeyService({ db, bus: localChangeBus, secrets }),
      teams: new TeamService(db, localChangeBus),
      users: new UserService(db, localChangeBus),
      deployments: new DeploymentService(db, localChangeBus, undefined),
    }),
    ...consoleRoutes({ db, requestLog: requestLogFromEnv({}, undefined), sessions: new ConsoleSessions({ masterKey: 'm', secureCookie: true }), authenticate: createAdminAuthenticator({ masterKey: 'm' }) }),
    ...oidcLoginRoutes({ db, oidc: undefined, sessions: new ConsoleSessions({ masterKey: 'm', secureCookie: true }) }),
    ...requestRoutes({ db, requestLog: requestLogFromEnv({}, undefined), archive: undefined }),
    ...memberRoutes({ db, keys: new KeyService({ db, bus: localChangeBus, secrets }), teams: new TeamService(db, localChangeBus) }),
    ...budgetRoutes({ db }),
  ];
  const doc = buildOpenApi(routes, { version: '1.0.0' });
  assert.deepEqual(validateOpenApi31(doc), []);
  const paths = doc.paths as Record<string, Record<string, Json>>;
  for (const r of routes) assert.ok(paths[r.path]?.[r.method.toLowerCase()], `${r.method} ${r.path} is documented`);
  // Request bodies carry their constraints, and credentials are write-only.
  const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
  assert.ok(schemas.KeyCreate && schemas.Limits && schemas.Deployment);
  assert.ok(!('api_key' in (schemas.Deployment!.properties as Json)));
  assert.ok('api_key' in (schemas.DeploymentCreate!.properties as Json));
  // Sign-in needs no credentials; everything else takes the bearer token or the console session.
  assert.deepEqual(paths['/admin/session']!.post!.security, []);
  assert.ok(schemas.RequestDetail && schemas.RequestSeries && paths['/admin/requests/{id}']?.get && paths['/admin/overview/series']?.get);
  assert.ok(schemas.ConsoleSession && schemas.SpendSeries && schemas.RequestLogPage && schemas.Overview && schemas.MemberKeyCreate);
  assert.ok(paths['/admin/session/oidc/callback']?.get && paths['/admin/me/keys']?.post);
  // The usage breakdown (issue 16) is documented on spend rows and request-log rows.
  for (const name of ['SpendRow', 'RequestLogRow']) {
    const props = schemas[name]!.properties as Record<string, { description?: string }>;
    for (const f of ['cached_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens', 'input_cost_usd', 'cached_input_cost_usd', 'cache_write_cost_usd', 'output_cost_usd', 'reasoning_cost_usd']) {
      assert.ok(props[f]?.description, `${name}.${f} is documented`);
    }
  }
  assert.ok(paths['/admin/budget-use']?.get && paths['/admin/keys/{id}']?.patch && schemas.BudgetUse && schemas.KeyUpdate);
  // The checker itself catches a broken document.
  assert.ok(validateOpenApi31({ ...doc, openapi: '3.0.0', paths: { '/x/{id}': { get: { responses: {} } } } }).length >= 3);
});
