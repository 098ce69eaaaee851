/**
 * The last line of every request: an error nobody expected (a bug, a RangeError from a hostile body) is
 * logged with its stack, counted in `skyway_internal_errors_total`, and answered to that request only as
 * 500 `internal_error`. `installLastNet` keeps a logging `uncaughtException`/`unhandledRejection` handler as
 * the net under the net: a hit there means a request path escaped its boundary (counted in
 * `skyway_uncaught_errors_total`, which tests assert stays 0).
 *
 * The counters live in GatewayMetrics, not here: in an extra event loop (SKYWAY_THREADS) the metrics are
 * proxies that post to the main thread's one registry, so an error in any loop shows on /metrics.
 */
import { GatewayError, InternalError } from '../errors/catalogue.js';

export interface BoundaryLogger {
  error(obj: object, msg: string): void;
}

/** Where the boundary counts (GatewayMetrics satisfies it, also as an extra loop's forwarding proxy). */
export interface BoundaryCounters {
  internalError(where: string): void;
  uncaughtError(kind: string): void;
}

export class ErrorBoundary {
  /** Requests answered 500 internal_error because of an unexpected throw. */
  internalErrors = 0;
  /** Errors that reached the process-level handlers. */
  uncaughtErrors = 0;

  constructor(
    private readonly logger: BoundaryLogger,
    private readonly counters?: BoundaryCounters,
  ) {}

  /** An unexpected error inside a request: log it with the stack and count it. Never throws. */
  internal(err: unknown, requestId: string | undefined, where = 'request'): void {
    this.internalErrors++;
    try {
      this.counters?.internalError(where);
      this.logger.error({ err, requestId, where }, 'internal error in the request path');
    } catch {
      /* logging must not become the next failure */
    }
  }

  uncaught(kind: 'uncaughtException' | 'unhandledRejection', err: unknown): void {
    this.uncaughtErrors++;
    try {
      this.counters?.uncaughtError(kind);
      this.logger.error({ err, kind }, 'error escaped every request boundary (kept running)');
    } catch {
      /* see internal() */
    }
  }
}

let net: ErrorBoundary | undefined;

/** Route process-level errors to `boundary` (once per process; a later call replaces the target). */
export function installLastNet(boundary: ErrorBoundary): void {
  const first = net === undefined;
  net = boundary;
  if (!first) return;
  process.on('uncaughtException', (err) => net!.uncaught('uncaughtException', err));
  process.on('unhandledRejection', (err) => net!.uncaught('unhandledRejection', err));
}

/**
 * A request whose every continuation runs inside its boundary: catalogue errors thrown in a step are answered
 * as they are (`failed`); anything else is a crash, answered 500 internal_error and counted.
 */
export abstract class GuardedRequest {
  protected abstract readonly boundary: ErrorBoundary;
  protected abstract readonly requestId: string;
  /** Answer the client with this error (in its API's shape) and end the request. */
  abstract failed(err: unknown): void;
  /** When even `failed` threw: stop upstream work and answer the bare 500 by any means left. */
  protected abstract lastResort(): void;

  guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      try {
        fn.apply(this, a);
      } catch (err) {
        if (err instanceof GatewayError) this.failed(err);
        else this.crash(err);
      }
    };
  }

  /** An error nobody expected: logged with its stack, counted, 500 internal_error (or an in-band stream error). */
  crash(err: unknown): void {
    this.boundary.internal(err, this.requestId);
    try {
      this.failed(new InternalError());
    } catch (again) {
      this.boundary.internal(again, this.requestId, 'error-response');
      try {
        this.lastResort();
      } catch {
        /* counted above; nothing more can be done for this request */
      }
    }
  }
}
