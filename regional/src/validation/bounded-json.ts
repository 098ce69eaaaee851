/**
 * JSON parsing with a nesting limit. `JSON.parse` accepts arrays nested 200,000 deep, and every later
 * recursive walk of such a value (`JSON.stringify`, a validator, a translator) overflows the stack. The depth is
 * measured first by one linear scan over the bytes, which recurses on nothing: string contents are skipped with
 * the native `indexOf`, so the loop only visits structural bytes of the document.
 */
import { BodyTooDeep, InvalidJson, InvalidRequest } from '../errors/catalogue.js';

/** Deepest nesting of arrays and objects a request body may have. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/** The byte after the string that starts with the quote at `open` (or bytes.length when it never closes). */
function skipString(bytes: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = bytes.indexOf(QUOTE, at + 1);
    if (at < 0) return bytes.length;
    // The quote is escaped when an odd number of backslashes precede it.
    let slashes = 0;
    for (let j = at - 1; j > open && bytes[j] === BACKSLASH; j--) slashes++;
    if ((slashes & 1) === 0) return at + 1;
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
      i = skipString(bytes, i) - 1;
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
