/**
 * Admin-API errors that the shared catalogue lacks (404 for a missing resource, 409 for a state conflict).
 * They follow the catalogue's pattern; the lead may move them into regional/src/errors/catalogue.ts.
 */
import { GatewayError } from '../errors/catalogue.js';

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
