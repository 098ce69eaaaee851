/**
 * JSON parsing with a nesting limit. `JSON.parse` accepts arrays nested 200,000 deep, and every later
 * recursive walk of such a value (`JSON.stringify`, a validator, a translator) overflows the stack. The depth is
 * measured first by one linear scan over the bytes, which recurses on nothing: string contents are skipped with
 * the native `indexOf`, so the loop visits the structural bytes and short strings only (measured in the README).
 */
import { isUtf8 } from 'node:buffer';
import { BodyTooDeep, InvalidJson, InvalidRequest } from '../errors/catalogue.js';

/** Deepest nesting of arrays and objects a request body may have. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/** Strings shorter than this are walked inline; longer ones are searched with the native indexOf. */
const INLINE_STRING = 48;

/** The index of the quote that closes the string opened at `open` (or -1 when it never closes). */
function closingQuote(bytes: Buffer, open: number): number {
  const n = bytes.length;
  let j = open + 1;
  const stop = Math.min(n, j + INLINE_STRING);
  for (; j < stop; j++) {
    const c = bytes[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j;
  }
  if (j >= n) return -1;
  for (;;) {
    j = bytes.indexOf(QUOTE, j);
    if (j < 0) return -1;
    // The quote is escaped when an odd number of backslashes precede it.
    let slashes = 0;
    for (let k = j - 1; k > open && bytes[k] === BACKSLASH; k--) slashes++;
    if ((slashes & 1) === 0) return j;
    j++;
  }
}

/**
 * The deepest nesting in `bytes`, stopping early (returning `limit + 1`) once it passes `limit`. Malformed JSON
 * gets some answer; JSON.parse reports it afterwards.
 */
export function jsonDepth(bytes: Buffer, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      i = closingQuote(bytes, i);
      if (i < 0) return max;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return max;
}

/** Parse a request body that must be a JSON object no deeper than `limit`. Throws catalogue errors. */
export function parseJsonObject(raw: Buffer, limit = MAX_JSON_DEPTH): Record<string, unknown> {
  if (raw.length === 0) throw new InvalidRequest('The request body is empty; send a JSON object.', null, 'empty_body');
  if (jsonDepth(raw, limit) > limit) throw new BodyTooDeep(limit);
  // JSON is UTF-8 (RFC 8259). Decoding would silently turn invalid bytes into U+FFFD while the raw body, which
  // is what goes upstream, keeps them: refuse instead, so the gateway and the provider read the same text.
  if (!isUtf8(raw)) throw new InvalidJson('the body is not valid UTF-8');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new InvalidJson((err as Error).message);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequest('The request body must be a JSON object.', null, 'invalid_body');
  }
  return body as Record<string, unknown>;
}
