/** Piscina worker: counts tokens off the event loop. Loaded by path from the compiled dist (see index.ts). */
import { countTextsSync } from './count-core.js';
import type { TokenizerFamily } from './families.js';

export interface CountTask {
  family: TokenizerFamily;
  texts: string[];
  maxExactChars: number;
}

export default function count(task: CountTask): number {
  return countTextsSync(task.family, task.texts, task.maxExactChars);
}
