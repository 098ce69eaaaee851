/**
 * Benchmark (not a test): does counting a 2 MB prompt raise the p99 latency of small concurrent counts?
 *
 * Small requests arrive on a fixed schedule (every 2 ms, 4 at a time); each one's latency runs from its
 * scheduled time to the end of its count, so time the event loop spends blocked shows up as latency.
 * Phases: (1) small requests alone, (2) the same while 2 MB prompts are counted back to back through the
 * pool, (3) for contrast, the same with the 2 MB prompts counted inline (what the pool avoids).
 *
 * Run: npm run bench:tokens -- [seconds per phase, default 4] [rounds, default 3]
 */
import { TokenCounter } from '../../regional/src/tokens/index.js';

const PHASE_MS = Number(process.argv[2] ?? 4) * 1000;
const INTERVAL_MS = 2;
const PER_TICK = 4;

function words(n: number, seed: number): string[] {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    let w = '';
    const len = 2 + (i % 9);
    for (let j = 0; j < len; j++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      w += String.fromCharCode(97 + (x % 26));
    }
    out.push(w);
  }
  return out;
}

function bigPrompt(bytes: number): unknown[] {
  const vocab = words(5000, 7);
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < bytes; i++) {
    const w = vocab[(i * 2654435761) % vocab.length]!;
    parts.push(w);
    len += w.length + 1;
  }
  return [{ role: 'system', content: 'Summarise the document.' }, { role: 'user', content: parts.join(' ') }];
}

const small = [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'What is the capital of France? Answer in one word, please.' }];

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function phase(name: string, counter: TokenCounter, big: unknown[] | undefined, bigCounter: TokenCounter): Promise<{ p50: number; p99: number; max: number; n: number; bigDone: number }> {
  const lat: number[] = [];
  let stop = false;
  let bigDone = 0;
  const bigLoop = (async () => {
    while (big && !stop) {
      await bigCounter.countPromptTokens('gpt-4o', big);
      bigDone++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  const start = performance.now();
  let tick = 0;
  await new Promise<void>((resolve) => {
    const next = () => {
      const now = performance.now();
      // run every tick that is due (a blocked loop shows up as late ticks)
      while (start + tick * INTERVAL_MS <= now) {
        const scheduled = start + tick * INTERVAL_MS;
        tick++;
        for (let i = 0; i < PER_TICK; i++) {
          const r = counter.countPromptTokens('gpt-4o', small);
          if (typeof r === 'number') lat.push(performance.now() - scheduled);
          else void r.then(() => lat.push(performance.now() - scheduled));
        }
      }
      if (now - start >= PHASE_MS) return resolve();
      setTimeout(next, Math.max(0, start + tick * INTERVAL_MS - performance.now()));
    };
    next();
  });
  stop = true;
  await bigLoop;
  lat.sort((a, b) => a - b);
  const r = { p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1]!, n: lat.length, bigDone };
  console.log(`${name.padEnd(44)} n=${String(r.n).padStart(5)}  p50=${r.p50.toFixed(3)} ms  p99=${r.p99.toFixed(3)} ms  max=${r.max.toFixed(1)} ms  2MB prompts counted=${r.bigDone}`);
  return r;
}

const counter = new TokenCounter();
const inlineAll = new TokenCounter({ inlineChars: Number.MAX_SAFE_INTEGER });
await counter.warm();
const big = bigPrompt(2 * 1024 * 1024);
const t0 = performance.now();
const bigTokens = inlineAll.countPromptTokens('gpt-4o', big) as number;
console.log(`2 MB prompt: ${bigTokens} tokens, ${(performance.now() - t0).toFixed(0)} ms to count on one thread`);
// warm the small path
for (let i = 0; i < 2000; i++) counter.countPromptTokens('gpt-4o', small);

// Alternate the two phases over a few rounds: on a shared machine the noise between runs is larger than
// the effect being measured, and the medians of alternating rounds cancel most of it.
const ROUNDS = Number(process.argv[3] ?? 3);
const baseP99: number[] = [];
const pooledP99: number[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  baseP99.push((await phase(`round ${r}: small counts alone`, counter, undefined, counter)).p99);
  pooledP99.push((await phase(`round ${r}: small + 2 MB prompts via the pool`, counter, big, counter)).p99);
}
const blocked = await phase('contrast: small + 2 MB prompts inline', counter, big, inlineAll);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const b = median(baseP99);
const p = median(pooledP99);
console.log(`median p99: alone ${b.toFixed(3)} ms, with 2 MB prompts via the pool ${p.toFixed(3)} ms → +${(p - b).toFixed(3)} ms (target ≤ 1 ms); inline would add ${(blocked.p99 - b).toFixed(1)} ms`);
await counter.close();
await inlineAll.close();
