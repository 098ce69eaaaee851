/**
 * Deterministic text: the same prompt always yields the same words. One word is one completion token; a
 * prompt's token count is its word count. Words come from a fixed list, picked by a PRNG seeded with a hash of
 * the prompt (and the choice index, so `n` choices differ).
 */
import type { ChatMessage } from './types.js';

const WORDS = [
  'sky', 'way', 'cloud', 'river', 'stone', 'light', 'quiet', 'signal', 'harbor', 'amber', 'north', 'lantern',
  'meadow', 'engine', 'copper', 'orbit', 'pine', 'glass', 'thread', 'summit', 'echo', 'delta', 'maple', 'tide',
  'ember', 'falcon', 'garden', 'horizon', 'island', 'jasmine', 'kernel', 'ledger', 'marble', 'nectar', 'ocean',
  'pixel', 'quartz', 'relay', 'saffron', 'timber', 'umbra', 'velvet', 'willow', 'xenon', 'yonder', 'zephyr',
  'bridge', 'canyon', 'dawn', 'field', 'grove', 'hollow', 'iron', 'jade', 'kite', 'lake', 'mist', 'nova',
  'opal', 'prism', 'rain', 'sand', 'trail', 'vale',
] as const;

/** FNV-1a, 32 bits. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Default answer length for a prompt: 8 to 24 words. */
export function defaultLength(seed: number): number {
  return 8 + (seed % 17);
}

/** `count` words for a seed; each token after the first carries its leading space, so tokens join into text. */
export function tokens(seed: number, count: number): string[] {
  const next = prng(seed);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const w = WORDS[Math.floor(next() * WORDS.length)]!;
    out[i] = i === 0 ? w : ' ' + w;
  }
  return out;
}

export function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 9 || c === 10 || c === 13;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** The text of a chat conversation (string contents and text parts), for hashing and counting. */
export function messagesText(messages: ChatMessage[]): string {
  let text = '';
  for (const m of messages) {
    text += m.role + ':';
    if (typeof m.content === 'string') text += m.content;
    else if (Array.isArray(m.content)) for (const p of m.content) if (typeof p.text === 'string') text += p.text;
    text += '\n';
  }
  return text;
}

export type FinishReason = 'stop' | 'length';

export interface Generated {
  tokens: string[];
  finish: FinishReason;
}

/**
 * The tokens of one choice: `length` words, cut to `maxTokens` (finish "length"), then cut before the first
 * stop sequence (finish "stop"; a token that straddles it is shortened).
 */
export function generate(seed: number, length: number, maxTokens: number | undefined, stop: string[]): Generated {
  let finish: FinishReason = 'stop';
  let n = length;
  if (maxTokens !== undefined && maxTokens < n) {
    n = Math.max(0, maxTokens);
    finish = 'length';
  }
  const toks = tokens(seed, n);
  if (stop.length === 0) return { tokens: toks, finish };
  const text = toks.join('');
  let cut = -1;
  for (const s of stop) {
    if (!s) continue;
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  if (cut < 0) return { tokens: toks, finish };
  const kept: string[] = [];
  let pos = 0;
  for (const t of toks) {
    if (pos + t.length <= cut) kept.push(t);
    else {
      if (cut > pos) kept.push(t.slice(0, cut - pos));
      break;
    }
    pos += t.length;
  }
  return { tokens: kept, finish: 'stop' };
}

export function stopList(stop: string | string[] | null | undefined): string[] {
  if (typeof stop === 'string') return [stop];
  return Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : [];
}
