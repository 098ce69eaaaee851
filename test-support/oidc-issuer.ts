/**
 * A small OpenID Connect provider on loopback for console sign-in tests: discovery, JWKS, an authorization
 * endpoint that signs in whoever `signInAs` names (no login form) and a token endpoint that checks the PKCE
 * verifier (S256), the client id and the redirect URI before issuing an RS256 ID token with the nonce.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface TestIssuer {
  issuer: string;
  clientId: string;
  /** Who the next authorization signs in, and extra claims (e.g. roles). */
  signInAs(email: string, claims?: Record<string, unknown>): void;
  /** Token requests refused so far, with the reason (a test asserts it stays empty). */
  refusals: string[];
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  email: string;
  claims: Record<string, unknown>;
}

export async function startTestIssuer(clientId = 'skyway-console'): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-1', alg: 'RS256', use: 'sig' };
  const grants = new Map<string, Grant>();
  const refusals: string[] = [];
  let user = { email: 'nobody@example.test', claims: {} as Record<string, unknown> };
  let issuer = '';
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'] });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (q.get('response_type') !== 'code' || q.get('client_id') !== clientId || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !q.get('redirect_uri')) {
        return json(res, 400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('hex');
      grants.set(code, { clientId, redirectUri: q.get('redirect_uri')!, challenge: q.get('code_challenge')!, nonce: q.get('nonce') ?? '', email: user.email, claims: user.claims });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return res.writeHead(302, { location: back.toString() }).end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const f = new URLSearchParams(body);
        const grant = grants.get(f.get('code') ?? '');
        grants.delete(f.get('code') ?? '');
        const verifier = f.get('code_verifier') ?? '';
        const why = !grant
          ? 'unknown or reused code'
          : f.get('client_id') !== grant.clientId
            ? 'client_id'
            : f.get('redirect_uri') !== grant.redirectUri
              ? 'redirect_uri'
              : createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
                ? 'PKCE verifier'
                : undefined;
        if (why || !grant) {
          refusals.push(why ?? 'no grant');
          return json(res, 400, { error: 'invalid_grant', error_description: why });
        }
        void new SignJWT({ email: grant.email, nonce: grant.nonce, ...grant.claims })
          .setProtectedHeader({ alg: 'RS256', kid: 'test-1' })
          .setIssuer(issuer)
          .setAudience(grant.clientId)
          .setSubject('sub-' + grant.email)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
          .then((idToken) => json(res, 200, { id_token: idToken, access_token: idToken, token_type: 'Bearer', expires_in: 300 }));
      });
      return;
    }
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    clientId,
    refusals,
    signInAs: (email, claims = {}) => (user = { email, claims }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
