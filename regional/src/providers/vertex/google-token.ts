/**
 * Google OAuth access tokens for Vertex AI, from google-auth-library: service-account keys, workload identity
 * federation (`external_account`, e.g. from AWS), or Application Default Credentials. The library caches each
 * token and refreshes it before expiry, so a request waits for the token endpoint only at start and about once
 * an hour. One client per credentials source, shared by the deployments that use it.
 */
import type { GoogleAuth } from 'google-auth-library';
import { UpstreamUnavailable } from '../../errors/catalogue.js';

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const clients = new Map<string, GoogleAuth>();

/** google-auth-library loads with the first Vertex request: a gateway without Vertex deployments never needs it. */
async function clientFor(credentialsFile: string | undefined): Promise<GoogleAuth> {
  const key = credentialsFile ?? '';
  let c = clients.get(key);
  if (!c) {
    const { GoogleAuth } = await import('google-auth-library');
    c = clients.get(key);
    if (c) return c;
    c = new GoogleAuth({ scopes: [SCOPE], ...(credentialsFile ? { keyFilename: credentialsFile } : {}) });
    clients.set(key, c);
  }
  return c;
}

/** A bearer token for the deployment's credentials; a failure is the upstream's (the router may fall back). */
export async function googleAccessToken(deploymentId: string, credentialsFile: string | undefined): Promise<string> {
  try {
    const token = await (await clientFor(credentialsFile)).getAccessToken();
    if (!token) throw new Error('no access token returned');
    return token;
  } catch (err) {
    throw new UpstreamUnavailable(deploymentId, `Google credentials: ${(err as Error).message}`);
  }
}
