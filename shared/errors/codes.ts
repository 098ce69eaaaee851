/**
 * The error codes that both the edge function and the regional gateway answer with: one source, so a client
 * sees the same `code`, HTTP status and `type` whichever side refused its request.
 *
 * - The gateway's catalogue (regional/src/errors/catalogue.ts) takes its codes from `SHARED_ERRORS`.
 * - The edge build (edge/build/bundle.ts) replaces the `const ERR = …;` line of
 *   edge/function/viewer-request.js with `edgeErrorTable()`, and refuses to build when the function uses a code
 *   that is not declared here. The source keeps an identical copy so that it also runs unbuilt (a test checks).
 *
 * `anthropicType` is the `error.type` of Anthropic's shape `{"type":"error","error":{"type","message"}}`, which
 * clients of `/v1/messages` get from both sides.
 */

export interface SharedError {
  readonly code: string;
  readonly status: number;
  /** OpenAI `error.type`. */
  readonly type: string;
  /** Anthropic `error.type`. */
  readonly anthropicType: string;
}

export const SHARED_ERRORS = {
  unknownUrl: { code: 'unknown_url', status: 404, type: 'invalid_request_error', anthropicType: 'not_found_error' },
  methodNotAllowed: { code: 'method_not_allowed', status: 405, type: 'invalid_request_error', anthropicType: 'invalid_request_error' },
  requestTooLarge: { code: 'request_too_large', status: 413, type: 'invalid_request_error', anthropicType: 'request_too_large' },
  missingApiKey: { code: 'missing_api_key', status: 401, type: 'invalid_request_error', anthropicType: 'authentication_error' },
  invalidApiKey: { code: 'invalid_api_key', status: 401, type: 'invalid_request_error', anthropicType: 'authentication_error' },
  apiKeyRevoked: { code: 'api_key_revoked', status: 401, type: 'invalid_request_error', anthropicType: 'authentication_error' },
  keyBlocked: { code: 'key_blocked', status: 403, type: 'permission_error', anthropicType: 'permission_error' },
  homeRegionUnavailable: { code: 'home_region_unavailable', status: 503, type: 'service_unavailable', anthropicType: 'overloaded_error' },
  /** Edge only: more header lines than the gateway's HTTP server parses (see shared/contract/headers.ts). */
  requestHeaderFieldsTooLarge: { code: 'request_header_fields_too_large', status: 431, type: 'invalid_request_error', anthropicType: 'invalid_request_error' },
} as const satisfies Record<string, SharedError>;

export type SharedErrorName = keyof typeof SHARED_ERRORS;

/** The Anthropic error type for any HTTP status (for codes not in the shared table). */
export function anthropicTypeForStatus(status: number): string {
  if (status === 400 || status === 405 || status === 409 || status === 422) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  return 'api_error';
}

/**
 * The edge's table: `{"<code>":[status,"<openai type>","<anthropic type>"],…}` — compact, because the built
 * function must stay under CloudFront's 10 KB.
 */
export function edgeErrorTable(): string {
  const table: Record<string, [number, string, string]> = {};
  for (const e of Object.values(SHARED_ERRORS)) table[e.code] = [e.status, e.type, e.anthropicType];
  return JSON.stringify(table);
}

const ERR_LINE = /^const ERR = .*;$/m;
const USED_CODE = /\bfail\(a, '([a-z_]+)'/g;

/**
 * Put the shared table into the edge function's source (its `const ERR = …;` line) and check that every code
 * the function answers with (`fail(a, '<code>', …)`) is declared. Throws otherwise.
 */
export function inlineEdgeErrors(source: string): string {
  if (!ERR_LINE.test(source)) throw new Error('the edge function has no `const ERR = …;` line for the shared error table');
  const declared = new Set<string>(Object.values(SHARED_ERRORS).map((e) => e.code));
  const unknown = [...source.matchAll(USED_CODE)].map((m) => m[1]!).filter((c) => !declared.has(c));
  if (unknown.length) throw new Error(`the edge function answers with codes that shared/errors/codes.ts does not declare: ${[...new Set(unknown)].join(', ')}`);
  return source.replace(ERR_LINE, `const ERR = ${edgeErrorTable()};`);
}

/** The codes the edge function's source answers with. */
export function edgeCodesUsed(source: string): string[] {
  return [...new Set([...source.matchAll(USED_CODE)].map((m) => m[1]!))];
}
