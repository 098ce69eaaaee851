/** The shape of one admin route: method, path template, schemas (for validation and OpenAPI) and handler. */
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { AdminIdentity } from './auth.js';

export interface RouteContext<B, Q> {
  params: Record<string, string>;
  body: B;
  query: Q;
  identity: AdminIdentity;
  /** The console session cookie's value, when the request carried one. */
  sessionCookie?: string | undefined;
  /** The raw request headers (the OIDC callback reads its flow cookie and Host). */
  headers?: IncomingHttpHeaders | undefined;
  /** The client's address (X-Forwarded-For entries only as far as SKYWAY_ADMIN_PROXY_HOPS trusts them). */
  clientIp?: string | undefined;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
  /** Extra response headers (Set-Cookie for the session routes). */
  headers?: Record<string, string | string[]>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI-style template: `/admin/keys/{id}`. */
  path: string;
  summary: string;
  tag: string;
  /** Needs the admin role (viewers may only read). */
  write: boolean;
  /** No credentials needed (sign-in): the handler gets an anonymous identity and checks what it is sent. */
  public?: boolean | undefined;
  /** A session cookie suffices without the CSRF header (read-only session introspection). */
  csrfExempt?: boolean | undefined;
  /** A self-service route: only the `member` role may call it. */
  member?: boolean | undefined;
  body?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  status: number;
  response?: z.ZodType | undefined;
  handle(ctx: RouteContext<unknown, unknown>): Promise<RouteResult>;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

/** Declare a route with typed body/query; the server validates both before calling `handler`. */
export function defineRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(spec: {
  method: Route['method'];
  path: string;
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  status?: number;
  response?: z.ZodType;
  public?: boolean;
  csrfExempt?: boolean;
  member?: boolean;
  handler(ctx: RouteContext<Infer<B>, Infer<Q>>): Promise<RouteResult>;
}): Route {
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    write: spec.method !== 'GET' && !spec.public,
    public: spec.public,
    csrfExempt: spec.csrfExempt,
    member: spec.member,
    body: spec.body,
    query: spec.query,
    status: spec.status ?? 200,
    response: spec.response,
    handle: (ctx) => spec.handler(ctx as RouteContext<Infer<B>, Infer<Q>>),
  };
}

/** Compile `/admin/keys/{id}` into a matcher returning the path parameters. */
export function compilePath(template: string): (path: string) => Record<string, string> | null {
  const names: string[] = [];
  const re = new RegExp(
    '^' +
      template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      }) +
      '$',
  );
  return (path) => {
    const m = re.exec(path);
    if (!m) return null;
    const params: Record<string, string> = {};
    names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    return params;
  };
}
