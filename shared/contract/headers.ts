/**
 * Every `x-skyway-*` HTTP header, declared once. `set by` says who writes it: the edge function (towards the
 * origin or in its own answers), CloudFront (origin custom header), or the gateway (in responses). The edge
 * function strips every viewer-sent `x-skyway-*` header, so a header in `request` direction can be trusted by
 * the gateway only after the origin-verify check. edge/build refuses to bundle a function that uses an
 * `x-skyway-*` name not listed here.
 */
export interface HeaderSpec {
  readonly direction: 'request' | 'response';
  readonly setBy: readonly ('edge' | 'cloudfront' | 'gateway')[];
  readonly description: string;
}

export const HEADERS = {
  'x-skyway-origin-verify': { direction: 'request', setBy: ['edge', 'cloudfront'], description: 'Shared secret proving the request came through CloudFront (ALB rule and gateway check it)' },
  'x-skyway-key-id': { direction: 'request', setBy: ['edge'], description: 'Key id the edge verified (a hint; the gateway re-verifies)' },
  'x-skyway-edge': { direction: 'response', setBy: ['edge'], description: 'Present on answers produced by the edge function itself' },
  'x-skyway-request-id': { direction: 'response', setBy: ['gateway'], description: 'Request id (usage events, logs)' },
  'x-skyway-overhead-ms': { direction: 'response', setBy: ['gateway'], description: 'Gateway time excluding the upstream' },
  'x-skyway-attempts': { direction: 'response', setBy: ['gateway'], description: 'Upstream attempts' },
  'x-skyway-deployment': { direction: 'response', setBy: ['gateway'], description: 'Deployment that served' },
  'x-skyway-fallback-model': { direction: 'response', setBy: ['gateway'], description: 'Model used after a fallback' },
  'x-skyway-cost-usd': { direction: 'response', setBy: ['gateway'], description: 'Cost of the request' },
  'x-skyway-cache': { direction: 'response', setBy: ['gateway'], description: 'hit or miss of the response cache' },
  'x-skyway-region': { direction: 'response', setBy: ['gateway'], description: 'Region that served (multi-region)' },
} as const satisfies Record<string, HeaderSpec>;

export type SkywayHeader = keyof typeof HEADERS;

/** Prefix of every Skyway header (the edge strips viewer-sent ones). */
export const SKYWAY_HEADER_PREFIX = 'x-skyway-';

export const ORIGIN_VERIFY_HEADER: SkywayHeader = 'x-skyway-origin-verify';
export const EDGE_ANSWER_HEADER: SkywayHeader = 'x-skyway-edge';

/** Whether `name` (lower case) is declared in the contract. */
export function isContractHeader(name: string): name is SkywayHeader {
  return Object.prototype.hasOwnProperty.call(HEADERS, name);
}

/**
 * Header lines (not `x-skyway-*` ones): the regional gateway's HTTP server (the uWS build, v20.30) parses at most
 * 48 header lines, Host included. With more no handler runs at all: nothing is answered and the connection hangs
 * until uWS's idle timeout (regional/test/http-contract.test.ts pins both sides). CloudFront, the ALB and the
 * edge function add lines on the way, so the edge answers 431 `request_header_fields_too_large` to a viewer
 * request with more than `MAX_VIEWER_HEADER_LINES` (edge/function/viewer-request.js, `MAX_HEADERS`).
 */
export const GATEWAY_MAX_HEADER_LINES = 48;

/** The lines added between the viewer and the gateway (Host is replaced, not added; X-Forwarded-For is appended to once it exists). */
export const HEADER_LINES_ADDED = {
  /** `x-skyway-origin-verify` (the same name as CloudFront's origin custom header: one line) and `x-skyway-key-id`. */
  edge: 2,
  /** `Via`, `X-Amz-Cf-Id`, `X-Forwarded-For` (origin request policy ALL_VIEWER_EXCEPT_HOST_HEADER: no `CloudFront-*` headers). */
  cloudfront: 3,
  /** `X-Forwarded-Proto`, `X-Forwarded-Port`, `X-Amzn-Trace-Id`. */
  alb: 3,
  /** Room for a line a hop adds that is not listed above. */
  margin: 2,
} as const;

/** The most header lines (Host and one `Cookie` line included) a viewer request may have at the edge: 48 − 10 = 38. */
export const MAX_VIEWER_HEADER_LINES = GATEWAY_MAX_HEADER_LINES - Object.values(HEADER_LINES_ADDED).reduce((a, b) => a + b, 0);
