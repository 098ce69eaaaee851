/** Routing vocabulary: what a model routes to, what an attempt reports back. */
import type { Deployment } from '../providers/adapter.js';

export type Strategy = 'weighted' | 'least-busy' | 'lowest-latency';

/** One deployment of a model, with the upstream's quota (requests and tokens per minute). */
export interface RouteTarget {
  readonly deployment: Deployment;
  readonly rpm?: number;
  readonly tpm?: number;
}

export interface ModelRoute {
  readonly strategy: Strategy;
  readonly targets: readonly RouteTarget[];
  /** Other models to try, in order, when every deployment of this one failed or is unavailable. */
  readonly fallbacks?: readonly string[];
  /** Models with larger context windows, for prompts too long for this one. */
  readonly contextWindowFallbacks?: readonly string[];
  /** Models to try when this one refuses the content (content filter / policy). */
  readonly contentPolicyFallbacks?: readonly string[];
  /** Prompt tokens this model accepts; a larger estimate goes straight to contextWindowFallbacks. */
  readonly contextWindow?: number;
  /**
   * Whether failing deployments are taken out (default true). Off for a model with a single deployment and no
   * fallbacks: cooling down its only deployment would turn a transient upstream error into 30 s of 503s.
   */
  readonly cooldown?: boolean;
}

export interface RetryPolicy {
  /** Attempts per request in all (first try + retries, across deployments and fallbacks). */
  maxAttempts: number;
  /** Extra tries of a deployment that already failed this request (after its siblings were tried). */
  sameDeploymentRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A retry-after longer than this is not waited for: the deployment is skipped for this request. */
  maxRetryAfterMs: number;
}

export interface CooldownPolicy {
  /** Failures within `windowMs` that open the circuit. */
  failureThreshold: number;
  windowMs: number;
  /** How long an open circuit keeps the deployment out. */
  cooldownMs: number;
  /** How long one half-open probe holds the probe slot before another request may probe. */
  probeTimeoutMs: number;
}

/** Why an attempt failed, as far as routing cares. */
export type FailureKind = 'connect' | 'timeout' | 'rate_limit' | 'server' | 'auth' | 'client' | 'context_window' | 'content_policy';

export type Outcome =
  | { ok: true; /** Time to first byte (ms). */ ttfbMs: number; /** Actual tokens, to settle the TPM window. */ tokens?: number }
  | {
      ok: false;
      kind: FailureKind;
      retryAfterMs?: number;
      /** A stream already sent bytes to the client: it cannot be retried. */
      afterFirstByte?: boolean;
    };

/** Failure kinds that count against a deployment's health and may be retried elsewhere. */
export const RETRYABLE: ReadonlySet<FailureKind> = new Set(['connect', 'timeout', 'rate_limit', 'server', 'auth']);

export interface PlanContext {
  /** Prompt + max output tokens, for TPM ceilings and the context-window check. */
  estimatedTokens?: number;
  /** Absolute deadline (ms epoch) for the whole request, retries included. */
  deadline?: number;
  signal?: AbortSignal;
  /** Models this request may be served by (the key's list, priced for a budget); others are skipped. */
  allow?: (model: string) => boolean;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Why a plan ended without success. */
export type PlanFailure =
  | { reason: 'unknown_model' }
  | { reason: 'no_deployment' }
  | { reason: 'non_retryable'; kind: FailureKind }
  | { reason: 'budget'; kind?: FailureKind }
  | { reason: 'deadline'; kind?: FailureKind }
  | { reason: 'exhausted'; kind?: FailureKind }
  | { reason: 'committed'; kind: FailureKind };
