/**
 * The one catalogue of errors a client can see. Each class fixes the HTTP status and the OpenAI error
 * `type`/`code`; handlers throw these and never build an error response by hand.
 *
 * Wire shape (OpenAI): `{"error":{"message","type","code","param"}}`.
 */

import { SHARED_ERRORS } from '../../../shared/errors/codes.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

export abstract class GatewayError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  abstract readonly code: string;
  readonly param: string | null;
  /** Extra response headers (for example `retry-after`). */
  headers: Record<string, string> | undefined;

  constructor(message: string, param: string | null = null, headers?: Record<string, string>) {
    super(message);
    this.param = param;
    this.headers = headers;
  }

  override get name(): string {
    return this.constructor.name;
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }

  toJSON(): string {
    return JSON.stringify(this.toBody());
  }
}

// ── request shape (400, 404, 405, 413) ────────────────────────────────────────────────────────────

export class InvalidJson extends GatewayError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code = 'invalid_json';
  constructor(detail: string) {
    super(`We could not parse the JSON body of your request: ${detail}`);
  }
}

export class InvalidRequest extends GatewayError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code: string;
  constructor(message: string, param: string | null = null, code = 'invalid_request') {
    super(message, param);
    this.code = code;
  }
}

export class MissingParameter extends GatewayError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code = 'missing_required_parameter';
  constructor(param: string) {
    super(`you must provide a '${param}' parameter`, param);
  }
}

export class ModelNotFound extends GatewayError {
  readonly status = 404;
  readonly type = 'invalid_request_error';
  readonly code = 'model_not_found';
  constructor(model: string) {
    super(`The model '${model}' does not exist or you do not have access to it.`, 'model');
  }
}

export class RouteNotFound extends GatewayError {
  readonly status = 404;
  readonly type = 'invalid_request_error';
  readonly code = SHARED_ERRORS.unknownUrl.code;
  constructor(method: string, path: string) {
    super(`Unknown request URL: ${method} ${path}. Please check the URL for typos.`);
  }
}

export class MethodNotAllowed extends GatewayError {
  readonly status = 405;
  readonly type = 'invalid_request_error';
  readonly code = SHARED_ERRORS.methodNotAllowed.code;
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(`Method ${method} is not allowed on ${path}; use ${allowed.join(', ')}.`, null, { allow: allowed.join(', ') });
  }
}

export class PayloadTooLarge extends GatewayError {
  readonly status = 413;
  readonly type = 'invalid_request_error';
  readonly code = SHARED_ERRORS.requestTooLarge.code;
  constructor(limitBytes: number) {
    super(`The request body exceeds the limit of ${limitBytes} bytes.`);
  }
}

// ── management API (404 resource, 409 conflict) ──────────────────────────────────────────────────────

export class ResourceNotFound extends GatewayError {
  readonly status = 404;
  readonly type = 'invalid_request_error';
  readonly code = 'resource_not_found';
  constructor(kind: string, id: string) {
    super(`No ${kind} with id '${id}'.`, 'id');
  }
}

export class ResourceConflict extends GatewayError {
  readonly status = 409;
  readonly type = 'invalid_request_error';
  readonly code: string;
  constructor(message: string, code = 'conflict', param: string | null = null) {
    super(message, param);
    this.code = code;
  }
}

// ── authentication and authorisation (401, 403) ───────────────────────────────────────────────────────

export class MissingApiKey extends GatewayError {
  readonly status = 401;
  readonly type = 'invalid_request_error';
  readonly code = SHARED_ERRORS.missingApiKey.code;
  constructor() {
    super('You did not provide an API key. Send it as a bearer token: Authorization: Bearer <key>.');
  }
}

export class InvalidApiKey extends GatewayError {
  readonly status = 401;
  readonly type = 'invalid_request_error';
  readonly code: string;
  constructor(reason = 'Incorrect API key provided.', code: string = SHARED_ERRORS.invalidApiKey.code) {
    super(reason);
    this.code = code;
  }
}

export class PermissionDenied extends GatewayError {
  readonly status = 403;
  readonly type = 'permission_error';
  readonly code: string;
  constructor(message: string, code = 'permission_denied', param: string | null = null) {
    super(message, param);
    this.code = code;
  }
}

// ── limits (429) ──────────────────────────────────────────────────────────────────────────────────────

export class RateLimited extends GatewayError {
  readonly status = 429;
  readonly type = 'rate_limit_error';
  readonly code: string;
  constructor(message: string, headers: Record<string, string>, code = 'rate_limit_exceeded') {
    super(message, null, headers);
    this.code = code;
  }
}

export class BudgetExceeded extends GatewayError {
  readonly status = 429;
  readonly type = 'budget_exceeded';
  readonly code = 'budget_exceeded';
  constructor(message: string, headers?: Record<string, string>) {
    super(message, null, headers);
  }
}

// ── upstream and gateway (5xx) ────────────────────────────────────────────────────────────────────────

/** The upstream answered with an error that is the client's to fix (4xx): passed on with its status. */
export class UpstreamClientError extends GatewayError {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  constructor(status: number, message: string, type = 'invalid_request_error', code = 'upstream_error', param: string | null = null) {
    super(message, param);
    this.status = status;
    this.type = type;
    this.code = code;
  }
}

export class UpstreamRateLimited extends GatewayError {
  readonly status = 429;
  readonly type = 'rate_limit_error';
  readonly code = 'upstream_rate_limited';
  constructor(message: string, headers?: Record<string, string>) {
    super(message, null, headers);
  }
}

export class UpstreamAuthFailed extends GatewayError {
  readonly status = 502;
  readonly type = 'upstream_error';
  readonly code = 'upstream_authentication_failed';
  constructor(deployment: string, upstreamStatus: number) {
    super(`The provider rejected the gateway's credentials for deployment '${deployment}' (HTTP ${upstreamStatus}). Check its API key configuration.`);
  }
}

export class UpstreamServerError extends GatewayError {
  readonly status = 502;
  readonly type = 'upstream_error';
  readonly code = 'upstream_server_error';
  constructor(message: string) {
    super(message);
  }
}

export class UpstreamUnavailable extends GatewayError {
  readonly status = 502;
  readonly type = 'upstream_error';
  readonly code = 'upstream_unavailable';
  constructor(deployment: string, detail: string) {
    super(`Could not reach the provider for deployment '${deployment}': ${detail}`);
  }
}

export class UpstreamTimeout extends GatewayError {
  readonly status = 504;
  readonly type = 'upstream_error';
  readonly code = 'upstream_timeout';
  constructor(deployment: string, timeoutMs: number) {
    super(`The provider for deployment '${deployment}' did not answer within ${timeoutMs} ms.`);
  }
}

export class ServiceUnavailable extends GatewayError {
  readonly status = 503;
  readonly type = 'service_unavailable';
  readonly code: string;
  constructor(message: string, code = 'service_unavailable') {
    super(message);
    this.code = code;
  }
}

export class InternalError extends GatewayError {
  readonly status = 500;
  readonly type = 'server_error';
  readonly code = 'internal_error';
  constructor(message = 'The gateway failed to process your request. It has been logged; retry later.') {
    super(message);
  }
}

export class UpstreamInvalidResponse extends GatewayError {
  readonly status = 502;
  readonly type = 'upstream_error';
  readonly code = 'upstream_invalid_response';
  constructor(deployment: string, detail: string) {
    super(`The provider for deployment '${deployment}' answered with a body the gateway cannot read: ${detail}`);
  }
}

export class UpstreamResponseTooLarge extends GatewayError {
  readonly status = 502;
  readonly type = 'upstream_error';
  readonly code = 'upstream_response_too_large';
  constructor(deployment: string, limit: number) {
    super(`The provider for deployment '${deployment}' sent a response body larger than the gateway's limit of ${limit} bytes.`);
  }
}

export class ModelPriceUnknown extends GatewayError {
  readonly status = 403;
  readonly type = 'permission_error';
  readonly code = 'model_price_unknown';
  constructor(model: string) {
    super(`This API key has a budget, and the model '${model}' has no price configured, so its spend cannot be limited. Ask an administrator to set a price for it (pricing: or options.pricing).`, 'model');
  }
}

export class MalformedHttpRequest extends GatewayError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code = 'malformed_http_request';
  constructor(detail: string) {
    super(`The HTTP request is malformed: ${detail}.`);
  }
}

/** Normalise anything thrown into a catalogue error (unknown errors become 500 without leaking details). */
export function toGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new InternalError();
}

// ── request validation (400): what the providers themselves would reject, checked before any upstream call ──

/** OpenAI's codes for a parameter of the wrong type or value; `param` names its path (`messages[1].role`). */
export type InvalidParameterCode =
  | 'invalid_type'
  | 'invalid_value'
  | 'empty_array'
  | 'array_above_max_length'
  | 'integer_below_min_value'
  | 'integer_above_max_value'
  | 'decimal_below_min_value'
  | 'decimal_above_max_value'
  | 'string_above_max_length';

export class InvalidParameter extends GatewayError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code: InvalidParameterCode;
  constructor(param: string, message: string, code: InvalidParameterCode) {
    super(`Invalid '${param}': ${message}`, param);
    this.code = code;
  }
}

/** A body nested deeper than the gateway's limit: refused before it is parsed (no recursion on hostile input). */
export class BodyTooDeep extends GatewayError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code = 'invalid_body';
  constructor(limit: number) {
    super(`The request body nests arrays and objects deeper than ${limit} levels.`);
  }
}

// ── admin API: a committed change that could not be announced (503) ─────────────────────────────────────

/**
 * A key change (revocation, rotation) is committed in Postgres but could not be published to the api replicas
 * after retries: they keep a cached copy until their cache TTL ends. Repeating the command re-publishes it.
 */
export class ChangeNotPropagated extends GatewayError {
  readonly status = 503;
  readonly type = 'service_unavailable';
  readonly code: string;
  constructor(message: string, code = 'change_not_propagated') {
    super(message, null, { 'retry-after': '1' });
    this.code = code;
  }
}

/** A stored Responses API response that does not exist, expired, or belongs to another team (not told apart). */
export class ResponseNotFound extends GatewayError {
  readonly status = 404;
  readonly type = 'invalid_request_error';
  readonly code = 'response_not_found';
  constructor(id: string, param: string | null = null) {
    super(`Response with id '${id}' not found.`, param);
  }
}

// ── hardening (issue 12, second pass): slow clients and upstream names that resolve where they must not ────

/** The client did not send its whole body within the body timeout (slowloris): 408 and the connection closed. */
export class RequestBodyTimeout extends GatewayError {
  readonly status = 408;
  readonly type = 'invalid_request_error';
  readonly code = 'request_body_timeout';
  constructor(timeoutMs: number) {
    super(`The request body was not received within ${timeoutMs} ms.`);
  }
}

/**
 * An upstream host name resolved to a link-local or cloud-metadata address (DNS rebinding: the name passed the
 * api_base policy as written). The connection is refused before it is made; another deployment may serve.
 */
export class UpstreamAddressForbidden extends GatewayError {
  readonly status = 502;
  readonly type = 'upstream_error';
  readonly code = 'upstream_address_forbidden';
  constructor(host: string) {
    super(`The upstream host '${host}' resolves to a link-local or metadata address; the gateway does not connect there.`);
  }
}

// ── multi-region: data residency (503) ─────────────────────────────────────────────────────────────────

/**
 * A key pinned to a home region reached another region (the edge's region table was stale, or its home region
 * is down). It is refused rather than served here: residency is never traded for availability. 503 with
 * `retry-after`, the same code the edge answers with when the home region is marked down.
 */
/**
 * An admin write in a region whose config store is a read-only replica (issue 14: the Aurora global database's
 * secondary): changes are made through the primary region's admin endpoint and reach this region by replication.
 */
export class ConfigStoreReadOnly extends GatewayError {
  readonly status = 503;
  readonly type = 'service_unavailable';
  readonly code = 'config_store_read_only';
  constructor(region: string) {
    super(
      `The config store in this region (${region}) is a read-only replica: keys, teams, users and deployments can only be changed through the primary region's admin endpoint. ` +
        'API keys keep working here. If the primary region is down, retry once it is back or the global database has been failed over.',
      null,
      { 'retry-after': '30' },
    );
  }
}

/** An admin write while this region's config store (the writer) cannot be reached. */
export class PrimaryRegionUnavailable extends GatewayError {
  readonly status = 503;
  readonly type = 'service_unavailable';
  readonly code = 'primary_region_unavailable';
  constructor(region: string) {
    super(`The config store's writer cannot be reached from this region (${region}); admin changes are refused until it is back. API keys keep working from the local copy.`, null, { 'retry-after': '10' });
  }
}

export class HomeRegionUnavailable extends GatewayError {
  readonly status = SHARED_ERRORS.homeRegionUnavailable.status;
  readonly type = SHARED_ERRORS.homeRegionUnavailable.type;
  readonly code = SHARED_ERRORS.homeRegionUnavailable.code;
  constructor(homeRegion: string, here: string) {
    super(`This API key may only be served in its home region (${homeRegion}); this request reached ${here}. Retry later.`, null, { 'retry-after': '5' });
  }
}
