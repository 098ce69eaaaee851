/** Request checks that answer like OpenAI: a 400 naming the offending parameter. */
import { MockHttpError } from './errors.js';
import type { Faults } from './types.js';

export type Json = Record<string, unknown>;

export function parseBody(raw: Buffer): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new MockHttpError(400, `We could not parse the JSON body of your request. (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MockHttpError(400, 'The request body must be a JSON object.');
  }
  return parsed as Json;
}

export function requireString(body: Json, field: string): string {
  const v = body[field];
  if (v === undefined || v === null) throw new MockHttpError(400, `you must provide a ${field} parameter`, field, 'missing_required_parameter');
  if (typeof v !== 'string' || v.length === 0) throw new MockHttpError(400, `'${field}' must be a non-empty string`, field, 'invalid_type');
  return v;
}

export function requirePresent(body: Json, field: string): unknown {
  const v = body[field];
  if (v === undefined || v === null) throw new MockHttpError(400, `you must provide a ${field} parameter`, field, 'missing_required_parameter');
  return v;
}

export function optionalInt(body: Json, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new MockHttpError(400, `'${field}' must be an integer between ${min} and ${max}`, field, 'invalid_value');
  }
  return v;
}

/** The per-request faults in the body's `mock` field, if any. */
export function requestFaults(body: Json): Faults | undefined {
  const m = body.mock;
  return m && typeof m === 'object' && !Array.isArray(m) ? (m as Faults) : undefined;
}
