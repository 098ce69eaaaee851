/**
 * Plausible `logprobs` for the mock's tokens: each token's log probability is ≤ 0, and `top_logprobs` lists the
 * token itself first followed by other words with lower log probabilities, as OpenAI returns them.
 */
import { hash32, prng } from './text.js';

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

const ALTERNATIVES = [' the', ' a', ' and', ' of', ' to', ' in', ' is', ' it', ' that', ' on', ' with', ' as', ' for', ' was', ' at', ' by', ' be', ' this', ' from', ' or'];

const bytesOf = (s: string) => Array.from(Buffer.from(s, 'utf8'));
const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Log probabilities for `tokens` (deterministic for `seed`), with `top` alternatives each (0–20). */
export function logprobsFor(tokens: readonly string[], top: number, seed: number): TokenLogprob[] {
  const next = prng(hash32('logprobs', seed));
  return tokens.map((token) => {
    const logprob = round(-next() * 1.5);
    const alts: TokenLogprob['top_logprobs'] = [];
    if (top > 0) alts.push({ token, logprob, bytes: bytesOf(token) });
    let lp = logprob;
    for (let i = 0; alts.length < top && i < ALTERNATIVES.length; i++) {
      const alt = ALTERNATIVES[(Math.floor(next() * ALTERNATIVES.length) + i) % ALTERNATIVES.length]!;
      if (alts.some((a) => a.token === alt)) continue;
      lp = round(lp - 0.5 - next() * 2);
      alts.push({ token: alt, logprob: lp, bytes: bytesOf(alt) });
    }
    return { token, logprob, bytes: bytesOf(token), top_logprobs: alts };
  });
}
