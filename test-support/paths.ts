/** Locating the repository from compiled test files, wherever `tsc` put them. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The repository root: the nearest ancestor of this file whose package.json is Skyway's. */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'skyway') {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('skyway repository root not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The directory holding compiled output that corresponds to the repo root (e.g. `<root>/dist`). */
export function distRoot(): string {
  // test-support/paths.js sits at <dist>/test-support/paths.js
  return dirname(dirname(fileURLToPath(import.meta.url)));
}
