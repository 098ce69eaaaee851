/**
 * The one catalogue of errors a client can see. Each class fixes the HTTP status and the OpenAI error
 * `type`/`code`; handlers throw these and never build an error response by hand.
 *
 * Wire shape (OpenAI): `{"error":{"message","type","code","param"}}`.
 */

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
  readonly code = 'unknown_url';
  constructor(method: string, path: string) {
    super(`Unknown request URL: ${method} ${path}. Please check the URL for typos.`);
  }
}

export class MethodNotAllowed extends GatewayError {
  readonly status = 405;
  readonly type = 'invalid_request_error';
  readonly code = 'method_not_allowed';
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(`Method ${method} is not allowed on ${path}; use ${allowed.join(', ')}.`, null, { allow: allowed.join(', ') });
  }
}

export class PayloadTooLarge extends GatewayError {
  readonly status = 413;
  readonly type = 'invalid_request_error';
  readonly code = 'request_too_large';
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
  readonly code = 'missing_api_key';
  constructor() {
    super('You did not provide an API key. Send it as a bearer token: Authorization: Bearer <key>.');
  }
}

export class InvalidApiKey extends GatewayError {
  readonly status = 401;
  readonly type = 'invalid_request_error';
  readonly code: string;
  constructor(reason = 'Incorrect API key provided.', code = 'invalid_api_key') {
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

/** Normalise anything thrown into a catalogue error (unknown errors become 500 without leaking details). */
export function toGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new InternalError();
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
