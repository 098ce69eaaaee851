/**
 * Token counting for decisions that need it (TPM admission without max_tokens, context-window checks,
 * streams whose upstream reports no usage). Small inputs are counted inline (cheaper than a thread hop:
 * about 60 µs per task through Piscina); large ones go to a Piscina pool so the event loop never blocks on
 * them. Work per request is bounded: at most `maxExactChars` characters are counted exactly; when the pool's
 * queue is full the count falls back to the chars/4 approximation instead of waiting.
 *
 * Env: SKYWAY_TOKENIZER_THREADS (default: cores − 1, at least 1), SKYWAY_TOKENIZER_INLINE_CHARS (default 8192),
 * SKYWAY_TOKENIZER_MAX_CHARS (default 4,000,000).
 *
 * @example
 * const n = await countPromptTokens('gpt-4o', body.messages);   // number | Promise<number>
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { countTextsSync } from './count-core.js';
import { approxTokens, tokenizerFamily } from './families.js';
import type { TokenizerFamily } from './families.js';
import { promptTexts } from './messages.js';
import type { CountTask } from './worker.js';

export { tokenizerFamily } from './families.js';
export type { TokenizerFamily } from './families.js';

export interface TokenCounterOptions {
  /** Inputs up to this many characters are counted on the calling thread. */
  inlineChars?: number;
  /** Characters counted exactly per request; the rest is approximated. */
  maxExactChars?: number;
  threads?: number;
  /** Tasks waiting for a thread beyond this are approximated instead. */
  maxQueue?: number;
}

/** Characters per pool task. */
const TASK_CHARS = 64 * 1024;

/** End of the next piece of text[i..limit): at most `room` characters, at a space when one is near. */
function cutPoint(text: string, i: number, limit: number, room: number): number {
  const hard = i + Math.max(1, room);
  if (hard >= limit) return limit;
  const space = text.lastIndexOf(' ', hard);
  if (space > i + room / 2) return space;
  // no space nearby: cut anywhere, but not inside a surrogate pair
  return (text.charCodeAt(hard) & 0xfc00) === 0xdc00 ? hard + 1 : hard;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  const n = v ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export class TokenCounter {
  private pool: Piscina<CountTask, number> | undefined;
  private readonly inlineChars: number;
  private readonly maxExactChars: number;
  private readonly threads: number;
  private readonly maxQueue: number;
  /** Counts that were approximated because the pool was saturated (expose as a metric). */
  saturated = 0;

  constructor(opts: TokenCounterOptions = {}) {
    this.inlineChars = opts.inlineChars ?? envInt('SKYWAY_TOKENIZER_INLINE_CHARS') ?? 8192;
    this.maxExactChars = opts.maxExactChars ?? envInt('SKYWAY_TOKENIZER_MAX_CHARS') ?? 4_000_000;
    this.threads = opts.threads ?? envInt('SKYWAY_TOKENIZER_THREADS') ?? Math.max(1, availableParallelism() - 1);
    this.maxQueue = opts.maxQueue ?? 256;
  }

  private getPool(): Piscina<CountTask, number> {
    this.pool ??= new Piscina<CountTask, number>({
      // The worker is the compiled worker.js beside this file (dist/…/tokens/worker.js).
      filename: fileURLToPath(new URL('./worker.js', import.meta.url)),
      minThreads: 1,
      maxThreads: this.threads,
      maxQueue: this.maxQueue,
      idleTimeout: 60_000,
    });
    return this.pool;
  }

  /** Start the worker threads now (and load the encodings in them) rather than on the first large prompt. */
  async warm(): Promise<void> {
    await this.getPool().run({ family: 'o200k', texts: ['warm up'], maxExactChars: 100 });
  }

  private count(family: TokenizerFamily, texts: string[], chars: number): number | Promise<number> {
    if (family === 'approx' || chars <= this.inlineChars) return countTextsSync(family, texts, this.maxExactChars);
    const pool = this.getPool();
    if (pool.queueSize + Math.ceil(Math.min(chars, this.maxExactChars) / TASK_CHARS) > this.maxQueue) {
      this.saturated++;
      return approxTokens(chars);
    }
    return this.countInPool(pool, family, texts, chars);
  }

  /**
   * Large inputs go to the pool in pieces of about TASK_CHARS, one piece per event-loop turn: handing a
   * 2 MB string to a thread in one message costs 0.5–2 ms of structured cloning on this thread, a stall the
   * small requests around it would feel. Pieces are cut at whitespace, where BPE pre-tokenisation splits too.
   */
  private async countInPool(pool: Piscina<CountTask, number>, family: TokenizerFamily, texts: string[], chars: number): Promise<number> {
    let budget = this.maxExactChars;
    let approx = 0;
    const runs: Promise<number>[] = [];
    let batch: string[] = [];
    let batchChars = 0;
    const flush = async () => {
      runs.push(pool.run({ family, texts: batch, maxExactChars: Number.MAX_SAFE_INTEGER }));
      batch = [];
      batchChars = 0;
      await new Promise((r) => setImmediate(r));
    };
    try {
      for (const text of texts) {
        const exact = Math.min(text.length, Math.max(0, budget));
        budget -= text.length;
        approx += approxTokens(text.length - exact);
        for (let i = 0; i < exact; ) {
          const end = cutPoint(text, i, exact, TASK_CHARS - batchChars);
          batch.push(text.slice(i, end));
          batchChars += end - i;
          i = end;
          if (batchChars >= TASK_CHARS) await flush();
        }
      }
      if (batch.length > 0) runs.push(pool.run({ family, texts: batch, maxExactChars: Number.MAX_SAFE_INTEGER }));
      let total = approx;
      for (const n of await Promise.all(runs)) total += n;
      return total;
    } catch {
      await Promise.allSettled(runs);
      return approxTokens(chars);
    }
  }

  /** Prompt tokens of chat messages (OpenAI shape), including the per-message overhead. */
  countPromptTokens(model: string, messages: readonly unknown[]): number | Promise<number> {
    const p = promptTexts(messages);
    const n = this.count(tokenizerFamily(model), p.texts, p.chars);
    return typeof n === 'number' ? n + p.overhead : n.then((x) => x + p.overhead);
  }

  /** Tokens of one text (a completion prompt, an embedding input, streamed completion text). */
  countTextTokens(model: string, text: string): number | Promise<number> {
    return this.count(tokenizerFamily(model), [text], text.length);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}

let shared: TokenCounter | undefined;

/** The process-wide counter (created on first use, configured from env). */
export function tokenCounter(): TokenCounter {
  shared ??= new TokenCounter();
  return shared;
}

export function countPromptTokens(model: string, messages: readonly unknown[]): number | Promise<number> {
  return tokenCounter().countPromptTokens(model, messages);
}

export function countTextTokens(model: string, text: string): number | Promise<number> {
  return tokenCounter().countTextTokens(model, text);
}

/** Stop the shared pool's threads (on shutdown). */
export async function closeTokenCounter(): Promise<void> {
  await shared?.close();
  shared = undefined;
}
