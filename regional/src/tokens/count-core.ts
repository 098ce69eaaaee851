/**
 * Synchronous token counting, shared by the inline path and the Piscina worker. Work is bounded: a run of
 * non-space characters is cut into 512-character pieces before BPE (the BPE merge loop is quadratic in the
 * length of one pre-token: one 200 KB word took 16 s here, 512-character pieces keep it linear), text beyond
 * `maxExactChars` is approximated, and the merge cache is capped.
 */
import { createRequire } from 'node:module';
import { approxTokens } from './families.js';
import type { TokenizerFamily } from './families.js';

/** Merge-cache entries per encoding (the library's default is 100,000). */
const MERGE_CACHE_SIZE = 20_000;

interface Encoding {
  countTokens(text: string, opts?: { disallowedSpecial?: Set<string> }): number;
  setMergeCacheSize(size: number): void;
}

/**
 * Each encoding is loaded on its first use: one costs about 70 MB of memory, and a gateway whose keys have no
 * TPM limit or budget never counts a token.
 */
const require = createRequire(import.meta.url);
const loaded: Partial<Record<'o200k' | 'cl100k', Encoding>> = {};
function encoding(family: 'o200k' | 'cl100k'): Encoding {
  let e = loaded[family];
  if (!e) {
    e = require(`gpt-tokenizer/encoding/${family}_base`) as Encoding;
    e.setMergeCacheSize(MERGE_CACHE_SIZE);
    loaded[family] = e;
  }
  return e;
}

const PIECE = 512;
const LONG_RUN = /\S{513,}/g;
/** Special-token text such as `<|endoftext|>` in user content is counted as plain text, never rejected. */
const PLAIN = { disallowedSpecial: new Set<string>() };

function bpe(family: 'o200k' | 'cl100k', text: string): number {
  return encoding(family).countTokens(text, PLAIN);
}

function countBounded(family: 'o200k' | 'cl100k', text: string): number {
  LONG_RUN.lastIndex = 0;
  if (!LONG_RUN.test(text)) return bpe(family, text);
  let total = 0;
  let last = 0;
  LONG_RUN.lastIndex = 0;
  for (let m = LONG_RUN.exec(text); m; m = LONG_RUN.exec(text)) {
    if (m.index > last) total += bpe(family, text.slice(last, m.index));
    const end = m.index + m[0].length;
    for (let i = m.index; i < end; ) {
      let j = Math.min(i + PIECE, end);
      // never split a surrogate pair
      if (j < end && (text.charCodeAt(j) & 0xfc00) === 0xdc00) j++;
      total += bpe(family, text.slice(i, j));
      i = j;
    }
    last = end;
  }
  if (last < text.length) total += bpe(family, text.slice(last));
  return total;
}

/** Tokens of one text; at most `maxExactChars` are counted exactly, the rest approximated. */
export function countTextSync(family: TokenizerFamily, text: string, maxExactChars: number): number {
  if (text.length === 0) return 0;
  if (family === 'approx') return approxTokens(text.length);
  if (text.length <= maxExactChars) return countBounded(family, text);
  return countBounded(family, text.slice(0, maxExactChars)) + approxTokens(text.length - maxExactChars);
}

/** Sum over texts, sharing one budget of exact characters. */
export function countTextsSync(family: TokenizerFamily, texts: readonly string[], maxExactChars: number): number {
  let total = 0;
  let budget = maxExactChars;
  for (const t of texts) {
    total += countTextSync(family, t, Math.max(0, budget));
    budget -= t.length;
  }
  return total;
}
