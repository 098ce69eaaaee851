/**
 * A JSON value that satisfies a JSON Schema, chosen by a PRNG: what the mock puts in tool-call arguments and in
 * `response_format: json_schema` answers, so clients that validate (the openai SDK's `.parse()` with zod,
 * LangChain structured output, `generateObject`) accept it. Covers what structured outputs use: types (also as
 * lists, with null), const, enum, required and optional properties, nested objects, arrays with item counts,
 * anyOf/oneOf/allOf, $ref into $defs/definitions, string formats, numeric bounds.
 */
import type { JsonSchema } from './types.js';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
const MAX_DEPTH = 12;

interface Ctx {
  next: () => number;
  root: JsonSchema;
}

function resolve(schema: JsonSchema, ctx: Ctx): JsonSchema {
  if (!schema || typeof schema !== 'object') return {};
  let s = schema;
  for (let hops = 0; typeof s.$ref === 'string' && hops < 16; hops++) {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
    const target = s.$ref === '#' ? ctx.root : m ? ctx.root[m[1] as '$defs' | 'definitions']?.[decodeURIComponent(m[2]!)] : undefined;
    if (!target) return {};
    s = target;
  }
  return s;
}

function pick<T>(list: readonly T[], ctx: Ctx): T {
  return list[Math.floor(ctx.next() * list.length)]!;
}

function stringFor(s: JsonSchema, ctx: Ctx): string {
  switch (s.format) {
    case 'date-time':
      return '2025-01-02T03:04:05Z';
    case 'date':
      return '2025-01-02';
    case 'time':
      return '03:04:05Z';
    case 'email':
      return `${pick(WORDS, ctx)}@example.com`;
    case 'uuid':
      return '123e4567-e89b-12d3-a456-426614174000';
    case 'uri':
    case 'url':
      return `https://example.com/${pick(WORDS, ctx)}`;
  }
  let v = pick(WORDS, ctx);
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  while (v.length < min) v += v;
  if (typeof s.maxLength === 'number' && v.length > s.maxLength) v = v.slice(0, Math.max(min, s.maxLength));
  return v;
}

function numberFor(s: JsonSchema, ctx: Ctx, integer: boolean): number {
  const lo = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + (integer ? 1 : 0.01) : 0;
  const hi = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - (integer ? 1 : 0.01) : lo + 100;
  const x = lo + ctx.next() * Math.max(0, hi - lo);
  return integer ? Math.min(Math.floor(hi), Math.max(Math.ceil(lo), Math.round(x))) : Math.round(x * 100) / 100;
}

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null') ?? 'null';
  if (s.type) return s.type;
  if (s.properties) return 'object';
  if (s.items) return 'array';
  return undefined;
}

function valueFor(schema: JsonSchema | undefined, ctx: Ctx, depth: number): unknown {
  if (!schema || typeof schema !== 'object') return null;
  const s = resolve(schema, ctx);
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return pick(s.enum, ctx);
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const merged: JsonSchema = { ...s, allOf: undefined };
    for (const part of s.allOf) {
      const r = resolve(part, ctx);
      Object.assign(merged, r, { properties: { ...merged.properties, ...r.properties }, required: [...(merged.required ?? []), ...(r.required ?? [])] });
    }
    return valueFor(merged, ctx, depth + 1);
  }
  const alt = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (alt && alt.length > 0) {
    // Prefer a branch that is not plain null, and one that does not recurse when deep.
    const branches = alt.filter((b) => resolve(b, ctx).type !== 'null');
    const choice = depth > MAX_DEPTH / 2 ? (alt.find((b) => resolve(b, ctx).type === 'null') ?? branches[0]) : branches[0];
    return valueFor(choice ?? alt[0], ctx, depth + 1);
  }
  const type = typeOf(s);
  if (depth > MAX_DEPTH) return type === 'array' ? [] : type === 'object' ? {} : null;
  switch (type) {
    case 'string':
      return stringFor(s, ctx);
    case 'integer':
      return numberFor(s, ctx, true);
    case 'number':
      return numberFor(s, ctx, false);
    case 'boolean':
      return ctx.next() < 0.5;
    case 'null':
      return null;
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 1;
      const max = typeof s.maxItems === 'number' ? s.maxItems : Math.max(min, 2);
      const count = depth > MAX_DEPTH / 2 ? min : Math.min(max, Math.max(min, 1 + Math.floor(ctx.next() * 2)));
      return Array.from({ length: count }, () => valueFor(s.items, ctx, depth + 1));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      // Every property: strict schemas require them all, and optional ones are valid too.
      const props = s.properties && typeof s.properties === 'object' ? s.properties : {};
      for (const [k, v] of Object.entries(props)) out[k] = valueFor(v, ctx, depth + 1);
      for (const k of Array.isArray(s.required) ? s.required : []) if (!(k in out)) out[k] = pick(WORDS, ctx);
      return out;
    }
    default:
      return pick(WORDS, ctx);
  }
}

/** A value valid against `schema` (deterministic for a given PRNG). */
export function valueForSchema(schema: JsonSchema, next: () => number): unknown {
  return valueFor(schema, { next, root: schema }, 0);
}
