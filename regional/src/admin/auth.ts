/**
 * Who may call the admin API: the master key (role admin), or an OIDC access/ID token from any issuer (Entra ID,
 * Cognito, …) verified against the issuer's JWKS (fetched once, cached, refetched on an unknown `kid`), with
 * issuer and audience checked and the role read from a configurable claim.
 */
import { timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Actor } from '../db/audit.js';
import { trimTrailingSlashes } from './api-base-policy.js';
import { InvalidApiKey, MissingApiKey, PermissionDenied } from '../errors/catalogue.js';

/** `member`: self-service console users (their own team's keys only); only console sessions carry it. */
export type AdminRole = 'admin' | 'viewer' | 'member';

export interface OidcOptions {
  /** Expected `iss`, e.g. `https://login.microsoftonline.com/<tenant>/v2.0` or `https://cognito-idp.<region>.amazonaws.com/<pool>`. */
  issuer: string;
  /** Expected `aud` (one of). */
  audience: string | string[];
  /** JWKS URL; default: `jwks_uri` from `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
  /** Claim holding the roles, dotted for nesting (`roles`, `cognito:groups`, `realm_access.roles`). Default `roles`. */
  rolesClaim?: string;
  /** Claim values that grant admin / viewer. Defaults `['admin']`, `['viewer']`. */
  adminValues?: string[];
  viewerValues?: string[];
  /** The console's OIDC client (authorization code + PKCE). Default: the first audience. */
  clientId?: string;
  /** Only for confidential clients (Cognito app clients with a secret). */
  clientSecret?: string;
  /** The console's public origin (builds the redirect URI); default: from the request's Host header. */
  consoleUrl?: string;
}

export interface AdminIdentity {
  actor: Actor;
  role: AdminRole;
  /** For members: the team they belong to and their user record. */
  teamId?: string | undefined;
  userId?: string | undefined;
}

export type AdminAuthenticator = (authorization: string | undefined) => Promise<AdminIdentity>;

/** OIDC settings from SKYWAY_OIDC_ISSUER, SKYWAY_OIDC_AUDIENCE, SKYWAY_OIDC_JWKS_URL, SKYWAY_OIDC_ROLES_CLAIM. */
export function oidcFromEnv(env: NodeJS.ProcessEnv = process.env): OidcOptions | undefined {
  if (!env.SKYWAY_OIDC_ISSUER) return undefined;
  if (!env.SKYWAY_OIDC_AUDIENCE) throw new Error('SKYWAY_OIDC_AUDIENCE is required with SKYWAY_OIDC_ISSUER');
  const o: OidcOptions = { issuer: env.SKYWAY_OIDC_ISSUER, audience: env.SKYWAY_OIDC_AUDIENCE.split(',').map((s) => s.trim()) };
  if (env.SKYWAY_OIDC_JWKS_URL) o.jwksUri = env.SKYWAY_OIDC_JWKS_URL;
  if (env.SKYWAY_OIDC_ROLES_CLAIM) o.rolesClaim = env.SKYWAY_OIDC_ROLES_CLAIM;
  if (env.SKYWAY_OIDC_CLIENT_ID) o.clientId = env.SKYWAY_OIDC_CLIENT_ID;
  if (env.SKYWAY_OIDC_CLIENT_SECRET) o.clientSecret = env.SKYWAY_OIDC_CLIENT_SECRET;
  if (env.SKYWAY_CONSOLE_URL) o.consoleUrl = env.SKYWAY_CONSOLE_URL;
  return o;
}

function claimValues(payload: JWTPayload, path: string): string[] {
  let v: unknown = payload[path];
  if (v === undefined) {
    v = payload;
    for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  }
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** admin or viewer from the token's roles claim, else undefined. */
export function adminRoleOf(payload: JWTPayload, oidc: OidcOptions): 'admin' | 'viewer' | undefined {
  const roles = claimValues(payload, oidc.rolesClaim ?? 'roles');
  if (roles.some((r) => (oidc.adminValues ?? ['admin']).includes(r))) return 'admin';
  if (roles.some((r) => (oidc.viewerValues ?? ['viewer']).includes(r))) return 'viewer';
  return undefined;
}

/** Who the token names, for the audit log: email, else preferred_username, else sub. */
export function subjectOf(payload: JWTPayload): string {
  return String((typeof payload.email === 'string' && payload.email) || (typeof payload.preferred_username === 'string' && payload.preferred_username) || payload.sub || 'unknown');
}

async function discoverJwks(issuer: string): Promise<URL> {
  const res = await fetch(`${trimTrailingSlashes(issuer)}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`OIDC discovery failed: HTTP ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: string };
  if (!doc.jwks_uri) throw new Error('OIDC discovery document has no jwks_uri');
  return new URL(doc.jwks_uri);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createAdminAuthenticator(opts: { masterKey?: string | undefined; oidc?: OidcOptions | undefined }): AdminAuthenticator {
  const oidc = opts.oidc;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keySet = async () => {
    if (!jwks) {
      const url = oidc!.jwksUri ? new URL(oidc!.jwksUri) : await discoverJwks(oidc!.issuer);
      jwks = createRemoteJWKSet(url, { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, timeoutDuration: 5000 });
    }
    return jwks;
  };
  return async (authorization) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw new MissingApiKey();
    const token = m[1]!;
    if (opts.masterKey && sameSecret(token, opts.masterKey)) return { actor: { id: 'master', kind: 'master' }, role: 'admin' };
    if (!oidc || token.split('.').length !== 3) throw new InvalidApiKey('Invalid admin credentials: send the master key or an OIDC bearer token from the configured issuer.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), { issuer: oidc.issuer, audience: oidc.audience, clockTolerance: 30 }));
    } catch (err) {
      const detail = err instanceof joseErrors.JOSEError ? err.message : 'verification failed';
      throw new InvalidApiKey(`Invalid admin token: ${detail}`, 'invalid_admin_token');
    }
    const role = adminRoleOf(payload, oidc);
    if (!role) throw new PermissionDenied(`The token carries no admin or viewer role in claim '${oidc.rolesClaim ?? 'roles'}'.`, 'admin_role_missing');
    return { actor: { id: subjectOf(payload), kind: 'oidc' }, role };
  };
}
