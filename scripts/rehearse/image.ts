/**
 * What the container image contributes to a task's environment and command, read from the Dockerfile's runtime
 * stage (its `ENV` and `CMD`), so the rehearsal runs the image's entry command with the image's defaults under
 * the task definition's environment, as ECS does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test-support/paths.js';

export interface ImageSpec {
  env: Record<string, string>;
  cmd: string[];
  /** Extra node options (tests: a loader hook that enforces the runtime stage's contents). */
  nodeArgs?: string[];
}

export function readImage(): ImageSpec {
  const text = readFileSync(join(repoRoot(), 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of runtime.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  const cmd = JSON.parse(/^CMD\s+(\[.*\])\s*$/m.exec(runtime)![1]!) as string[];
  return { env, cmd };
}
