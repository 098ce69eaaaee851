/**
 * Where the time goes in a V8 CPU profile (`npm run bench -- --cpu-prof DIR` writes one per target):
 * self time by function and by source area (our folders, each dependency, node internals, GC, native).
 *
 *   node dist/loadtest/bench/profile-summary.js DIR/embedded.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A readable area for a script URL: `regional/src/logging`, `node_modules/pino`, `node:internal/…`. */
export function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `node_modules/${nm[1]}`;
  const ours = /dist(?:-[a-z]+)?\/((?:regional\/src|loadtest|shared)\/[^/]+)/.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/([^/]+).*$/, 'node:$1');
  return url;
}

export function summarize(p: Profile): { totalMs: number; byFunction: [string, number][]; byArea: [string, number][] } {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0;
    if (!us) continue;
    total += us;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    const where = url ? `${url.replace(/^.*?(node_modules\/|dist(?:-[a-z]+)?\/)/, '')}:${lineNumber + 1}` : '';
    const fk = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(fk, (byFunction.get(fk) ?? 0) + us);
    const a = areaOf(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const sort = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000] as [string, number]);
  return { totalMs: total / 1000, byFunction: sort(byFunction), byArea: sort(byArea) };
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
  const top = Number(values.top ?? 25);
  for (const file of positionals) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile);
    const busy = s.byArea.reduce((a, [, v]) => a + v, 0);
    const pct = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)} %`;
    console.log(`\n${file}: ${(busy / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s profiled (percentages of busy time)`);
    console.log('  by area:');
    for (const [k, v] of s.byArea.slice(0, top)) console.log(`  ${pct(v)}  ${k}`);
    console.log('  by function (self time):');
    for (const [k, v] of s.byFunction.slice(0, top)) console.log(`  ${pct(v)}  ${k}`);
  }
}

if (process.argv[1]?.endsWith('profile-summary.js')) main();
