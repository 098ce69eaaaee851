import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest directory at or above `start` whose package.json is Skyway's (the repository, and the image's build context). */
export function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'skyway') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`skyway repository root not found above ${start}`);
    dir = parent;
  }
}
