/**
 * The mock's request checks are the gateway's own (regional/src/validation): one source of OpenAI's rules, so a
 * test cannot pass through the gateway a body that OpenAI would refuse. This module adapts their catalogue
 * errors to the mock's OpenAI-shaped answers.
 */
import { GatewayError } from '../../regional/src/errors/catalogue.js';
import { parseJsonObject } from '../../regional/src/validation/index.js';
import { MockHttpError } from './errors.js';
import type { Faults } from './types.js';

export type Json = Record<string, unknown>;

/** Parse a JSON object body (nesting bounded like the gateway's). */
export function parseBody(raw: Buffer): Json {
  return parseJsonObject(raw);
}

/** Any error a handler threw, as the mock's answer (validation errors keep their status, code and param). */
export function asMockError(err: unknown): MockHttpError {
  if (err instanceof MockHttpError) return err;
  if (err instanceof GatewayError) return new MockHttpError(err.status, err.message, err.param, err.code);
  return new MockHttpError(500, `mock upstream: ${(err as Error)?.message ?? String(err)}`);
}

/** The per-request faults in the body's `mock` field, if any. */
export function requestFaults(body: Json): Faults | undefined {
  const m = body.mock;
  return m && typeof m === 'object' && !Array.isArray(m) ? (m as Faults) : undefined;
}
