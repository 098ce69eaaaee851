/**
 * Microsoft Entra ID tokens for Azure OpenAI by the OAuth 2.0 client credentials flow, cached until shortly
 * before expiry and fetched once however many requests wait for it.
 */
import { UpstreamAuthFailed } from '../../errors/catalogue.js';

interface Cached {
  token: string;
  /** ms epoch after which a new token is fetched. */
  refreshAt: number;
}

const cache = new Map<string, Cached>();
const inflight = new Map<string, Promise<string>>();

export interface EntraClient {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** For error messages. */
  deploymentId: string;
}

async function fetchToken(c: EntraClient, key: string): Promise<string> {
  const url = `${c.authorityHost.replace(/\/$/, '')}/${encodeURIComponent(c.tenantId)}/oauth2/v2.0/token`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: c.scope });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new UpstreamAuthFailed(c.deploymentId, res.status);
  const body = (await res.json()) as { access_token?: string; expires_in?: number | string };
  if (!body.access_token) throw new UpstreamAuthFailed(c.deploymentId, res.status);
  const lifetimeMs = Number(body.expires_in ?? 3600) * 1000;
  // Refresh five minutes early (or at half-life for short tokens).
  cache.set(key, { token: body.access_token, refreshAt: Date.now() + Math.max(lifetimeMs / 2, lifetimeMs - 300_000) });
  return body.access_token;
}

export async function entraToken(c: EntraClient): Promise<string> {
  const key = `${c.authorityHost}\0${c.tenantId}\0${c.clientId}\0${c.scope}`;
  const hit = cache.get(key);
  if (hit && Date.now() < hit.refreshAt) return hit.token;
  let p = inflight.get(key);
  if (!p) {
    p = fetchToken(c, key).finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  return p;
}

/** Tests: forget cached tokens. */
export function clearEntraTokens(): void {
  cache.clear();
}
