/** The benchmark's rows, the printed table, and the JSON file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoadRow {
  target: string;
  kind: 'json' | 'stream';
  concurrency: number;
  /** Requests (or streams) per second. */
  rps: number;
  /** Latency (json) or time to first byte (stream), ms. */
  p50: number;
  p99: number;
  /** Against direct-to-mock at the same kind and concurrency, ms. */
  addedP50?: number;
  addedP99?: number;
  cpuMsPerReq?: number;
  peakRssMb?: number;
  errors: number;
}

export interface OpenStreamsRow {
  target: string;
  requested: number;
  opened: number;
  openMs: number;
  rssMb: number | null;
  peakRssMb: number | null;
  errors: number;
}

const f = (v: number | undefined | null, digits = 2) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(digits));

export function formatTable(rows: LoadRow[], open: OpenStreamsRow[]): string {
  const header = ['target', 'kind', 'conc', 'req/s', 'p50 ms', 'p99 ms', '+p50 ms', '+p99 ms', 'cpu ms/req', 'peak RSS MB', 'errors'];
  const lines = rows.map((r) => [
    r.target,
    r.kind === 'json' ? 'json' : 'stream (ttfb)',
    String(r.concurrency),
    f(r.rps, 0),
    f(r.p50, 3),
    f(r.p99, 3),
    f(r.addedP50, 3),
    f(r.addedP99, 3),
    f(r.cpuMsPerReq, 4),
    f(r.peakRssMb, 1),
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)];
  for (const o of open) {
    out.push(
      `${o.target}: ${o.opened}/${o.requested} streams open after ${f(o.openMs, 0)} ms; RSS ${f(o.rssMb, 1)} MB, peak ${f(o.peakRssMb, 1)} MB; errors ${o.errors}`,
    );
  }
  return out.join('\n');
}

export function writeResults(dir: string, payload: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(payload, null, 2) + '\n');
  return file;
}
