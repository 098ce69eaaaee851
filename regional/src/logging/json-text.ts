/**
 * JSON text of single values, the same characters `JSON.stringify` writes, for lines built by hand (the access
 * log, the usage pipeline's NDJSON rows): ids, model names and numbers need no escaping pass beyond one regex
 * test, and no object has to be built just to be stringified.
 */

/** Characters a JSON string cannot hold as they are (quote, backslash, controls) or that JSON.stringify escapes (surrogates). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(s)` for a string. */
export function jsonString(s: string): string {
  // Ids, model names and codes are plain ASCII: quoting them is enough (JSON.stringify gives the same text).
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `.d`, `.dd`, `.ddd` of 0..999 thousandths, trailing zeros dropped ('' for 0): the fraction of a millisecond figure. */
const THOUSANDTHS: readonly string[] = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '' : ('.' + String(i).padStart(3, '0')).replace(/0+$/, '')));

/**
 * `String(n)` for a finite number. Timings are rounded to thousandths (`Math.round(ms * 1000) / 1000`), and
 * V8's shortest-digits conversion of such a double costs several times the integer path: for a value that is
 * exactly the double nearest some k / 1000 (|k| < 2^31), the text is k's digits with the point put back, which
 * is what String() writes (the shortest decimal that reads back as n is unique below 2^42).
 */
export function numberText(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const k = Math.round(n * 1000);
  if (k / 1000 !== n || k > 2_147_483_647 || k < -2_147_483_647) return String(n);
  const a = k < 0 ? -k : k;
  const frac = a % 1000;
  return (k < 0 ? '-' : '') + String((a - frac) / 1000) + THOUSANDTHS[frac];
}

/** `JSON.stringify(n)` for a number (non-finite numbers are `null`, as in JSON.stringify). */
export function jsonNumber(n: number): string {
  return Number.isFinite(n) ? numberText(n) : 'null';
}

/**
 * The JSON text of a value as a field of an object, or undefined when JSON.stringify leaves the field out
 * (undefined, functions, symbols). Objects and arrays go through JSON.stringify.
 */
export function jsonValue(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return jsonNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      // pino's and the access log's rule (JSON.stringify itself throws on a bigint).
      return JSON.stringify(String(v));
    default:
      return JSON.stringify(v);
  }
}

/**
 * `s` as one flat string. Concatenation builds a rope (a cons string per `+`: dozens for a hand-built line);
 * lines that are kept a while (a usage batch, the log's 64 KB buffer) would survive young-generation
 * collections node by node (measured on usage lines: 2.5 × the CPU of building them). Reading a character
 * makes V8 flatten the rope into one sequential string, once, while it is fresh.
 */
export function flatString(s: string): string {
  s.charCodeAt(s.length >> 1);
  return s;
}
