/**
 * Test support: finds the environment variables a source tree reads: `env.X`, `process.env.X`, `env['X']`, and a literal name
 * passed to a reader (`int(env, 'X', …)`, `envInt('X')`, `positiveInt(env, 'X', …)`). Used by the contract test
 * to prove the gateway reads nothing the contract does not declare.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const PATTERNS = [
  /\benv\.([A-Z][A-Z0-9_]+)\b/g,
  /\benv\[\s*['"`]([A-Z][A-Z0-9_]+)['"`]\s*\]/g,
  /\b(?:int|bool|num|envInt|positiveInt|envNumber|envFlag)\(\s*(?:(?:opts\.)?env\s*,\s*)?['"`]([A-Z][A-Z0-9_]+)['"`]/g,
];

/** Files of the product (not tests, test probes, test folders or benchmarks). */
export function productFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'test' && entry.name !== 'node_modules') productFiles(path, out);
    } else if (/\.ts$/.test(entry.name) && !/\.test\.ts$|test-probe|^bench-/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Every variable name read in `files`, with where (path relative to `root`). */
export function envReads(files: readonly string[], root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const re of PATTERNS) {
      for (const m of text.matchAll(re)) {
        const where = found.get(m[1]!) ?? [];
        where.push(relative(root, file));
        found.set(m[1]!, where);
      }
    }
  }
  return found;
}
