/**
 * The checks every validator is built from. Each names the offending path in `param` and uses OpenAI's error
 * codes, so a client sees the same error from the gateway as from the provider. `null` counts as absent for
 * optional fields (OpenAI and the SDKs treat it so); unknown fields are never checked (they pass through).
 */
import { InvalidParameter, MissingParameter } from '../errors/catalogue.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v;
}

export function wrongType(param: string, expected: string, got: unknown): InvalidParameter {
  return new InvalidParameter(param, `expected ${expected}, but got ${typeName(got)} instead.`, 'invalid_type');
}

export function badValue(param: string, message: string): InvalidParameter {
  return new InvalidParameter(param, message, 'invalid_value');
}

const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/** A field that must be present (and not null). */
export function required(body: Json, key: string, param = key): unknown {
  const v = body[key];
  if (v === undefined || v === null) throw new MissingParameter(param);
  return v;
}

export function str(v: unknown, param: string): string {
  if (typeof v !== 'string') throw wrongType(param, 'a string', v);
  return v;
}

export function obj(v: unknown, param: string): Json {
  if (!isObject(v)) throw wrongType(param, 'an object', v);
  return v;
}

/** An array with at least `min` and at most `max` items. */
export function arr(v: unknown, param: string, min = 0, max = Infinity): unknown[] {
  if (!Array.isArray(v)) throw wrongType(param, 'an array', v);
  if (v.length < min) {
    if (v.length === 0) throw new InvalidParameter(param, `empty array. Expected an array with minimum length ${min}, but got an empty array instead.`, 'empty_array');
    throw badValue(param, `expected an array with minimum length ${min}, but got ${v.length} items instead.`);
  }
  if (v.length > max) throw new InvalidParameter(param, `array too long. Expected an array with maximum length ${max}, but got an array with length ${v.length} instead.`, 'array_above_max_length');
  return v;
}

export function oneOf<T extends string>(v: unknown, param: string, values: readonly T[]): T {
  if (typeof v !== 'string') throw wrongType(param, 'a string', v);
  if (!(values as readonly string[]).includes(v)) throw badValue(param, `value '${v.length > 64 ? v.slice(0, 64) + '…' : v}' is not supported. Supported values are: ${quoted(values)}.`);
  return v as T;
}

/** A name matching `pattern` (tool and schema names). */
export function matching(v: unknown, param: string, pattern: RegExp, shown: string): string {
  const s = str(v, param);
  if (!pattern.test(s)) throw badValue(param, `string does not match pattern. Expected a string that matches the pattern '${shown}'.`);
  return s;
}

// ── optional scalar parameters (absent or null: nothing to check) ─────────────────────────────────────

export function optBool(body: Json, key: string, param = key): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrongType(param, 'a boolean', v);
  return v;
}

export function optStr(body: Json, key: string, param = key): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  return str(v, param);
}

export function optObj(body: Json, key: string, param = key): Json | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  return obj(v, param);
}

/** A number in [min, max]. */
export function optNumber(body: Json, key: string, min: number, max: number, param = key): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(param, 'a number', v);
  if (v < min) throw new InvalidParameter(param, `decimal below minimum value. Expected a value >= ${min}, but got ${v} instead.`, 'decimal_below_min_value');
  if (v > max) throw new InvalidParameter(param, `decimal above maximum value. Expected a value <= ${max}, but got ${v} instead.`, 'decimal_above_max_value');
  return v;
}

/** An integer in [min, max]. */
export function optInt(body: Json, key: string, min: number, max = Number.MAX_SAFE_INTEGER, param = key): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(param, 'an integer', v);
  if (v < min) throw new InvalidParameter(param, `integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`, 'integer_below_min_value');
  if (v > max) throw new InvalidParameter(param, `integer above maximum value. Expected a value <= ${max}, but got ${v} instead.`, 'integer_above_max_value');
  return v;
}

/** `stop`: a string or an array of at most `max` strings. */
export function optStop(body: Json, key: string, max: number): void {
  const v = body[key];
  if (v === undefined || v === null || typeof v === 'string') return;
  const list = arr(v, key, 0, max);
  for (let i = 0; i < list.length; i++) str(list[i], `${key}[${i}]`);
}
