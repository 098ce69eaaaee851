/**
 * Console sign-in through the OIDC provider (authorization code + PKCE, RFC 7636), for people rather than
 * scripts: /admin/session/oidc/start redirects to the provider's authorization endpoint with a fresh state,
 * nonce and S256 code challenge (kept in a sealed, HttpOnly, 10-minute cookie); the provider redirects back to
 * /admin/session/oidc/callback, which exchanges the code (with the verifier), verifies the ID token (issuer,
 * audience = client id, nonce) and starts a console session. The role comes from the token's roles claim
 * (admin/viewer); anyone else is a `member` if a user with the token's email belongs to a team.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type pg from 'pg';
import { z } from 'zod';
import { InvalidApiKey, InvalidRequest, PermissionDenied } from '../../errors/catalogue.js';
import { trimTrailingSlashes } from '../api-base-policy.js';
import { adminRoleOf, subjectOf, type AdminIdentity, type OidcOptions } from '../auth.js';
import { defineRoute, type Route } from '../route.js';
import { sessionCookie, type ConsoleSessions } from './session.js';
import { SignInLimiter } from './sign-in-limit.js';

const FLOW_COOKIE = 'skyway_oidc_flow';
const FLOW_PATH = '/admin/session/oidc';

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  redirect: string;
  exp: number;
}

const b64url = (b: Buffer) => b.toString('base64url');

export function oidcLoginRoutes(s: { db: pg.Pool; oidc: OidcOptions | undefined; sessions: ConsoleSessions; signInLimiter?: SignInLimiter | undefined }): Route[] {
  const limiter = s.signInLimiter ?? new SignInLimiter();
  const oidc = s.oidc;
  let discovery: Promise<Discovery> | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const discover = () =>
    (discovery ??= (async () => {
      const res = await fetch(`${trimTrailingSlashes(oidc!.issuer)}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`OIDC discovery failed: HTTP ${res.status}`);
      return (await res.json()) as Discovery;
    })().catch((err: unknown) => {
      discovery = undefined;
      throw err;
    }));
  const clientId = () => oidc!.clientId ?? (Array.isArray(oidc!.audience) ? oidc!.audience[0]! : oidc!.audience);
  const redirectUri = (headers: IncomingHttpHeaders | undefined) => {
    const base = oidc!.consoleUrl ?? `http://${headers?.host ?? 'localhost'}`;
    return `${trimTrailingSlashes(base)}${FLOW_PATH}/callback`;
  };
  const required = () => {
    if (!oidc) throw new InvalidRequest('OIDC sign-in is not configured (SKYWAY_OIDC_ISSUER, SKYWAY_OIDC_AUDIENCE).', null);
    return oidc;
  };

  /** Role from the token, else member through the users table (email → team). */
  const identityOf = async (payload: Record<string, unknown>): Promise<AdminIdentity> => {
    const subject = subjectOf(payload);
    const role = adminRoleOf(payload, oidc!);
    if (role) return { actor: { id: subject, kind: 'oidc' }, role };
    const email = typeof payload.email === 'string' ? payload.email : undefined;
    const user = email ? ((await s.db.query('select id, team_id from users where lower(email) = lower($1)', [email])).rows[0] as { id: string; team_id: string | null } | undefined) : undefined;
    if (!user?.team_id) throw new PermissionDenied(`${subject} has no admin or viewer role and is not a member of any team: ask an administrator to add a user with this email to a team.`, 'not_a_member');
    return { actor: { id: subject, kind: 'oidc' }, role: 'member', teamId: user.team_id, userId: user.id };
  };

  return [
    defineRoute({
      method: 'GET', path: '/admin/session/config', tag: 'console', summary: 'How the console may sign in (public)', public: true,
      response: z.object({ oidc: z.boolean() }).meta({ id: 'ConsoleSignInOptions' }),
      handler: async () => ({ body: { oidc: !!oidc } }),
    }),
    defineRoute({
      method: 'GET', path: '/admin/session/oidc/start', tag: 'console', summary: 'Start OIDC sign-in: redirects (302) to the provider with PKCE (S256), state and nonce', public: true, status: 302,
      handler: async ({ headers }) => {
        required();
        const d = await discover();
        const flow: Flow = { state: b64url(randomBytes(16)), nonce: b64url(randomBytes(16)), verifier: b64url(randomBytes(32)), redirect: redirectUri(headers), exp: Date.now() + 600_000 };
        const url = new URL(d.authorization_endpoint);
        url.search = new URLSearchParams({
          response_type: 'code', client_id: clientId(), redirect_uri: flow.redirect, scope: 'openid email profile', state: flow.state, nonce: flow.nonce,
          code_challenge: b64url(createHash('sha256').update(flow.verifier).digest()), code_challenge_method: 'S256',
        }).toString();
        return { status: 302, body: { redirect: url.toString() }, headers: { location: url.toString(), 'set-cookie': s.sessions.flowCookie(FLOW_COOKIE, s.sessions.seal(flow), 600, FLOW_PATH) } };
      },
    }),
    defineRoute({
      method: 'GET', path: '/admin/session/oidc/callback', tag: 'console', summary: "The provider's redirect back: exchanges the code, verifies the ID token, sets the session cookie and redirects to /console/", public: true, status: 302,
      query: z.object({ code: z.string().max(4096).optional(), state: z.string().max(512).optional(), error: z.string().max(256).optional(), error_description: z.string().max(1024).optional() }).passthrough(),
      handler: async ({ query, headers, clientIp }) => {
        const o = required();
        // Counted per client IP (the account is known only once the ID token is verified): see sign-in-limit.ts.
        const attempt = await limiter.attempt(clientIp ?? 'unknown', undefined);
        if (query.error) throw new InvalidApiKey(`The identity provider refused the sign-in: ${query.error_description ?? query.error}`, 'oidc_sign_in_refused');
        const flow = s.sessions.unseal<Flow>(sessionCookie(headers?.cookie, FLOW_COOKIE));
        if (!flow || flow.exp < Date.now() || !query.state || query.state !== flow.state || !query.code) {
          throw new InvalidApiKey('The sign-in expired or did not start here: start again from the console.', 'oidc_state_mismatch');
        }
        const d = await discover();
        const form = new URLSearchParams({ grant_type: 'authorization_code', code: query.code, redirect_uri: flow.redirect, client_id: clientId(), code_verifier: flow.verifier });
        const auth: Record<string, string> = o.clientSecret ? { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId())}:${encodeURIComponent(o.clientSecret)}`).toString('base64')}` } : {};
        const res = await fetch(d.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth }, body: form, signal: AbortSignal.timeout(10_000) });
        const tokens = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string };
        if (!res.ok || !tokens.id_token) throw new InvalidApiKey(`The identity provider did not issue an ID token (${tokens.error ?? `HTTP ${res.status}`}).`, 'oidc_token_exchange_failed');
        jwks ??= createRemoteJWKSet(new URL(d.jwks_uri), { cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 });
        const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: o.issuer, audience: clientId(), clockTolerance: 30 }).catch((err: Error) => {
          throw new InvalidApiKey(`Invalid ID token: ${err.message}`, 'invalid_admin_token');
        });
        if (payload.nonce !== flow.nonce) throw new InvalidApiKey('The ID token does not answer this sign-in (nonce).', 'oidc_nonce_mismatch');
        const identity = await identityOf(payload);
        await attempt.succeeded();
        const { token } = s.sessions.issue(identity);
        return {
          status: 302,
          body: { redirect: '/console/' },
          headers: { location: '/console/', 'set-cookie': [s.sessions.setCookie(token), s.sessions.flowCookie(FLOW_COOKIE, '', 0, FLOW_PATH)] },
        };
      },
    }),
  ];
}
