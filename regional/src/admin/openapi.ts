/**
 * The OpenAPI 3.1 document of the admin API, generated from the route table and its zod schemas (JSON Schema
 * 2020-12, which OpenAPI 3.1 uses as is). Named schemas (`.meta({ id })`) land in components/schemas.
 */
import { z } from 'zod';
import type { Route } from './route.js';
import { ErrorObject } from './schemas.js';

type Json = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const generated = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  // Named schemas come back in $defs with #/$defs/ references: move them to components/schemas.
  const out = JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json & { $defs?: Json };
  const { $schema: _s, $defs, ...rest } = out;
  for (const [name, def] of Object.entries($defs ?? {})) components[name] ??= def;
  return rest;
}

export function buildOpenApi(routes: readonly Route[], info: { version: string }): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  const errorRef = toSchema(ErrorObject, 'output', components);
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });
  for (const r of routes) {
    const params: Json[] = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (r.query) {
      const q = toSchema(r.query, 'input', components) as { properties?: Record<string, Json & { description?: string }>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        const p: Json = { name, in: 'query', required: q.required?.includes(name) ?? false, schema };
        if (schema.description) p.description = schema.description;
        params.push(p);
      }
    }
    const op: Json = {
      operationId: `${r.method.toLowerCase()}${r.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      tags: [r.tag],
      security: r.public ? [] : [{ bearer: [] }, { consoleSession: [] }],
      responses: {
        [String(r.status)]: { description: 'Success', content: { 'application/json': { schema: r.response ? toSchema(r.response, 'output', components) : {} } } },
        '400': errorResponse('Invalid request'),
        '401': errorResponse('Missing or invalid credentials'),
        '403': errorResponse('The role may not do this'),
        ...(r.path.includes('{') ? { '404': errorResponse('No such resource') } : {}),
      },
    };
    if (params.length) op.parameters = params;
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input', components) } } };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Skyway admin API', version: info.version, description: 'Virtual keys, teams, users, model deployments, spend and audit. Bearer: the master key or an OIDC token (roles admin/viewer).' },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: { schemas: components, securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Master key or OIDC access token' },
        consoleSession: { type: 'apiKey', in: 'cookie', name: 'skyway_console', description: 'Console session from POST /admin/session; every request it authenticates must also carry x-skyway-csrf' },
      } },
  };
}
