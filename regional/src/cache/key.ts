/**
 * The cache key: a hash of the normalised request. Normalisation sorts object keys at every depth (so field
 * order does not matter) and drops fields that do not change the answer: `user` (end-user id for abuse
 * tracking), `stream_options` (usage reporting) and `metadata` (client tags). `stream` stays in the key,
 * because a stream and a JSON body are stored differently. The namespace (the lead passes the team or key
 * id) keeps tenants from reading each other's cached answers.
 */
import { createHash } from 'node:crypto';

const IGNORED = new Set(['user', 'stream_options', 'metadata']);

function canonical(v: unknown, out: string[], top: boolean): void {
  if (v === null || typeof v !== 'object') {
    out.push(v === undefined ? 'null' : JSON.stringify(v));
    return;
  }
  if (Array.isArray(v)) {
    out.push('[');
    v.forEach((x, i) => {
      if (i > 0) out.push(',');
      canonical(x, out, false);
    });
    out.push(']');
    return;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined && !(top && IGNORED.has(k)))
    .sort();
  out.push('{');
  keys.forEach((k, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(k), ':');
    canonical(obj[k], out, false);
  });
  out.push('}');
}

/** The normalised request text (exposed for tests and debugging). */
export function normaliseRequest(body: Record<string, unknown>): string {
  const out: string[] = [];
  canonical({ ...body, stream: body.stream === true }, out, true);
  return out.join('');
}

/**
 * @example
 * const key = cacheKey(parsedBody, { namespace: principal.team?.id ?? principal.keyId ?? 'master', operation: 'chat' });
 */
export function cacheKey(body: Record<string, unknown>, opts: { namespace: string; operation: string }): string {
  return createHash('sha256').update(`${opts.namespace}\n${opts.operation}\n`).update(normaliseRequest(body)).digest('base64url');
}

/** What `cache-control` on the request allows: `no-cache` skips the lookup, `no-store` skips storing too. */
export function cacheDirectives(cacheControl: string | undefined): { read: boolean; write: boolean } {
  if (!cacheControl) return { read: true, write: true };
  const d = cacheControl.toLowerCase();
  const noStore = /(^|[\s,])no-store($|[\s,])/.test(d);
  const noCache = /(^|[\s,])no-cache($|[\s,])/.test(d);
  return { read: !noCache && !noStore, write: !noStore };
}
