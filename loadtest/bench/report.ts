/** The benchmark's rows (medians over repeats), the ratios to the floor, the printed table, and the JSON file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoadRow {
  target: string;
  kind: 'json' | 'stream';
  /** Request body size label (`1k`, `1.2k`). */
  body: string;
  concurrency: number;
  /** Median over repeats: requests (or streams) per second. */
  rps: number;
  /** Median over repeats: latency (json) or time to first byte (stream), ms. */
  p50: number;
  p99: number;
  /** (max − min) / median of req/s over the repeats: the noise of this step. */
  spread: number;
  repeats: number;
  /** Set from the floor row of the same kind, body and concurrency. */
  xFloor?: number;
  p99xFloor?: number;
  /** p50 / p99 minus the floor's, ms (the latency the gateway adds over the bare proxy). */
  dP50?: number;
  dP99?: number;
  cpuMsPerReq?: number;
  cpuxFloor?: number;
  peakRssMb?: number;
  errors: number;
  /** Non-2xx statuses and socket errors of a JSON step, by kind (in the results file). */
  errorStatuses?: Record<string, number>;
}

export interface OpenStreamsRow {
  target: string;
  requested: number;
  opened: number;
  openMs: number;
  rssMb: number | null;
  peakRssMb: number | null;
  errors: number;
  /** The errors by status and code (see open-streams.ts). */
  errorKinds?: Record<string, number>;
}

/** Fills the ratio columns of every row from the `floor` row with the same kind, body and concurrency. */
export function addFloorRatios(rows: LoadRow[], floorName = 'floor'): void {
  const floor = new Map(rows.filter((r) => r.target === floorName).map((r) => [`${r.kind}/${r.body}/${r.concurrency}`, r]));
  for (const r of rows) {
    const f = floor.get(`${r.kind}/${r.body}/${r.concurrency}`);
    if (!f || r.target === 'direct') continue;
    r.xFloor = r.rps / f.rps;
    r.p99xFloor = r.p99 / f.p99;
    r.dP50 = r.p50 - f.p50;
    r.dP99 = r.p99 - f.p99;
    if (r.cpuMsPerReq !== undefined && f.cpuMsPerReq) r.cpuxFloor = r.cpuMsPerReq / f.cpuMsPerReq;
  }
}

const f = (v: number | undefined | null, digits = 2) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(digits));

export function formatTable(rows: LoadRow[], open: OpenStreamsRow[]): string {
  const header = ['target', 'kind', 'body', 'conc', 'req/s', '× floor', 'p50 ms', 'p99 ms', 'p99 × floor', 'Δp50 floor', 'Δp99 floor', 'cpu ms/req', 'cpu × floor', 'peak RSS MB', 'spread', 'errors'];
  const lines = rows.map((r) => [
    r.target,
    r.kind === 'json' ? 'json' : 'stream (ttfb)',
    r.body,
    String(r.concurrency),
    f(r.rps, 0),
    f(r.xFloor, 2),
    f(r.p50, 3),
    f(r.p99, 3),
    f(r.p99xFloor, 2),
    f(r.dP50, 3),
    f(r.dP99, 3),
    f(r.cpuMsPerReq, 4),
    f(r.cpuxFloor, 2),
    f(r.peakRssMb, 1),
    `${f(r.spread * 100, 0)}%/${r.repeats}`,
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)];
  for (const o of open) {
    out.push(
      `${o.target}: ${o.opened}/${o.requested} streams open after ${f(o.openMs, 0)} ms; RSS ${f(o.rssMb, 1)} MB, peak ${f(o.peakRssMb, 1)} MB; errors ${o.errors}${o.errors ? ` (${Object.entries(o.errorKinds ?? {}).map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
    );
  }
  return out.join('\n');
}

/** The same table as Markdown, for loadtest/README.md. */
export function formatMarkdown(rows: LoadRow[]): string {
  const head = '| target | kind | body | conc | req/s | × floor | p50 ms | p99 ms | p99 × floor | Δp50 vs floor | Δp99 vs floor | CPU ms/req | peak RSS MB | spread |';
  const sep = '|' + '---|'.repeat(14);
  const lines = rows.map(
    (r) =>
      `| ${r.target} | ${r.kind} | ${r.body} | ${r.concurrency} | ${f(r.rps, 0)} | ${f(r.xFloor)} | ${f(r.p50, 3)} | ${f(r.p99, 3)} | ${f(r.p99xFloor)} | ${f(r.dP50, 3)} | ${f(r.dP99, 3)} | ${f(r.cpuMsPerReq, 4)} | ${f(r.peakRssMb, 0)} | ${f(r.spread * 100, 0)} % |`,
  );
  return [head, sep, ...lines].join('\n');
}

export function writeResults(dir: string, payload: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(payload, null, 2) + '\n');
  return file;
}
