/**
 * Console sessions: a signed, stateless cookie (so any admin replica accepts it) holding who signed in, their
 * role and an expiry. The signing key is derived from the master key, so rotating the master key ends every
 * session. CSRF: a cookie alone never authenticates an API call; the request must also carry the session's
 * CSRF token in `x-skyway-csrf` (returned at sign-in and by GET /admin/session), which another origin cannot
 * read (no CORS) and so cannot send. SameSite=Strict keeps the cookie off cross-site requests as a second fence.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../../db/audit.js';
import type { AdminIdentity, AdminRole } from '../auth.js';

export const SESSION_COOKIE = 'skyway_console';
export const CSRF_HEADER = 'x-skyway-csrf';
const DEFAULT_TTL_S = 8 * 3600;

export interface SessionClaims {
  actor: Actor;
  role: AdminRole;
  /** Members: their team and user record. */
  team_id?: string | undefined;
  user_id?: string | undefined;
  /** Random per session: the CSRF token is a MAC of it. */
  sid: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

export interface SessionOptions {
  masterKey: string;
  /** Add `Secure` to the cookie (always in AWS; off for http://127.0.0.1 under `npm start`). */
  secureCookie: boolean;
  ttlSeconds?: number | undefined;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class ConsoleSessions {
  private readonly key: Buffer;
  readonly ttlSeconds: number;

  constructor(private readonly opts: SessionOptions) {
    this.key = createHmac('sha256', opts.masterKey).update('skyway console session v1').digest();
    this.ttlSeconds = opts.ttlSeconds ?? DEFAULT_TTL_S;
  }

  private mac(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  /** A new session for `identity`: the cookie value and its CSRF token. */
  issue(identity: AdminIdentity, now = Date.now()): { token: string; csrf: string; claims: SessionClaims } {
    const claims: SessionClaims = { actor: identity.actor, role: identity.role, team_id: identity.teamId, user_id: identity.userId, sid: b64(randomBytes(16)), exp: Math.floor(now / 1000) + this.ttlSeconds };
    const payload = b64(JSON.stringify(claims));
    return { token: `${payload}.${this.mac(payload)}`, csrf: this.csrfOf(claims), claims };
  }

  csrfOf(claims: SessionClaims): string {
    return this.mac(`csrf:${claims.sid}`);
  }

  /** The claims of a valid, unexpired cookie value, else undefined. */
  verify(token: string | undefined, now = Date.now()): SessionClaims | undefined {
    if (!token) return undefined;
    const dot = token.indexOf('.');
    if (dot < 1) return undefined;
    const payload = token.slice(0, dot);
    if (!sameBytes(token.slice(dot + 1), this.mac(payload))) return undefined;
    let claims: SessionClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionClaims;
    } catch {
      return undefined;
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return undefined;
    return claims;
  }

  /** Whether the CSRF header matches the session. */
  csrfMatches(claims: SessionClaims, header: string | undefined): boolean {
    return typeof header === 'string' && sameBytes(header, this.csrfOf(claims));
  }

  /** A short-lived cookie (SameSite=Lax: it must come back on the identity provider's redirect). */
  flowCookie(name: string, value: string, maxAgeS: number, path: string): string {
    return `${name}=${value}; Path=${path}; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${this.opts.secureCookie ? '; Secure' : ''}`;
  }

  /** MAC-protected value for a cookie this server must be able to trust later. */
  seal(data: object): string {
    const payload = b64(JSON.stringify(data));
    return `${payload}.${this.mac('seal:' + payload)}`;
  }

  unseal<T>(sealed: string | undefined): T | undefined {
    if (!sealed) return undefined;
    const dot = sealed.indexOf('.');
    if (dot < 1 || !sameBytes(sealed.slice(dot + 1), this.mac('seal:' + sealed.slice(0, dot)))) return undefined;
    try {
      return JSON.parse(Buffer.from(sealed.slice(0, dot), 'base64url').toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  setCookie(token: string): string {
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${this.ttlSeconds}${this.opts.secureCookie ? '; Secure' : ''}`;
  }

  clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.opts.secureCookie ? '; Secure' : ''}`;
  }
}

/** One cookie's value from a Cookie header (default: the session cookie). */
export function sessionCookie(header: string | undefined, name = SESSION_COOKIE): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
