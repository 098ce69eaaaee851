/**
 * The viewer-request function of the admin behaviour (`/admin`, `/admin/*`, and the console at `/console/*`). CloudFront behaviours match paths,
 * not hosts: the WAF lets `/admin` through only on the admin host and from the admin allowlist, and this function
 * checks the host again (defence in depth), strips viewer-sent `x-skyway-*` headers like the API function does,
 * and otherwise passes the request to the origin, where the ALB's `/admin` rule reaches the admin service.
 * Generated here (not in edge/function) because it carries the admin host name of the environment.
 */
import { EDGE_ANSWER_HEADER, SKYWAY_HEADER_PREFIX } from '../../../shared/contract/index.js';

/** Path patterns of the admin behaviour; the ALB's admin rule uses the same patterns. */
export const ADMIN_PATH_PATTERNS = ['/admin', '/admin/*', '/console', '/console/*'] as const;

/** Source of the function (cloudfront-js-2.0; ES5 plus const/let). */
export function adminViewerRequestCode(adminHost: string): string {
  const notFound = JSON.stringify({ error: { message: 'Unknown request URL on this host.', type: 'invalid_request_error', code: 'unknown_url', param: null } });
  return [
    'function handler(event) {',
    '  var req = event.request;',
    '  var h = req.headers;',
    '  var name;',
    `  for (name in h) { if (name.indexOf(${JSON.stringify(SKYWAY_HEADER_PREFIX)}) === 0) { delete h[name]; } }`,
    `  if (!h.host || h.host.value.toLowerCase() !== ${JSON.stringify(adminHost.toLowerCase())}) {`,
    `    return { statusCode: 404, headers: { 'content-type': { value: 'application/json' }, ${JSON.stringify(EDGE_ANSWER_HEADER)}: { value: '1' }, 'cache-control': { value: 'no-store' } }, body: { encoding: 'text', data: ${JSON.stringify(notFound)} } };`,
    '  }',
    '  return req;',
    '}',
    '',
  ].join('\n');
}
