/**
 * `npm run bench`: the gateway's own cost on this machine, next to a direct call to the mock, in one run.
 *
 *   node dist/loadtest/bench/run.js [--duration 10] [--quick] [--only embedded,json,stream,open,direct]
 *                                   [--open-streams 5000] [--concurrency 1,50,200] [--cpu-prof DIR]
 *
 * --cpu-prof DIR writes a V8 CPU profile of each gateway run into DIR (open it in Chrome DevTools).
 *
 * The gateway runs on CPU 0, the mock and this load generator on CPU 1 (taskset, when there are 2+ CPUs).
 * Every process it starts is stopped before it exits, also on Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { distRoot, repoRoot } from '../../test-support/paths.js';
import { taskset } from '../support/processes.js';
import { gatewayAvailable, startGatewayProcess, startMockProcess, type GatewayProcess, type MockProcess } from '../support/stack.js';
import { configurations, dropBenchDatabases, type BenchConfiguration } from './configurations.js';
import { jsonLoad } from './json-load.js';
import { openStreams } from './open-streams.js';
import { cpuMs, peakRssMb, rssMb } from './proc-stats.js';
import { formatTable, writeResults, type LoadRow, type OpenStreamsRow } from './report.js';
import { streamLoad } from './stream-load.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'open-streams': { type: 'string' },
    concurrency: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});

const quick = values.quick === true;
const durationS = Number(values.duration ?? (quick ? 3 : 10));
const concurrencies = (values.concurrency ?? (quick ? '1,50' : '1,50,200')).split(',').map(Number);
const openCount = Number(values['open-streams'] ?? (quick ? 500 : 5000));
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const kinds = ['json', 'stream', 'open'].filter((k) => !only || only.has(k) || ![...only].some((o) => ['json', 'stream', 'open'].includes(o)));
const wantDirect = !only || only.has('direct') || ![...only].some((o) => configurations.some((c) => c.name === o) || o === 'direct');
const chosen = configurations.filter((c) => !only || only.has(c.name) || ![...only].some((o) => configurations.some((x) => x.name === o)));
if (!Number.isFinite(durationS) || durationS <= 0 || concurrencies.some((c) => !Number.isInteger(c) || c < 1)) {
  console.error('bench: --duration must be > 0 and --concurrency a list of positive integers');
  process.exit(2);
}

const JSON_BODY = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'Say something short about the sky.' }] });
const STREAM_BODY = JSON.stringify({
  model: 'mock-1',
  messages: [{ role: 'user', content: 'Say something short about the sky.' }],
  stream: true,
  stream_options: { include_usage: true },
});

const dist = distRoot();
const pin = taskset() !== null && availableParallelism() >= 2;
const live: { stop(): Promise<void> }[] = [];

async function stopAll(): Promise<void> {
  await Promise.allSettled(live.splice(0).map((p) => p.stop()));
  await dropBenchDatabases();
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void stopAll().then(() => process.exit(130));
  });
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  pid?: number;
}

async function measure(target: Target, direct: Map<string, LoadRow>, rows: LoadRow[]): Promise<void> {
  for (const kind of ['json', 'stream'] as const) {
    if (!kinds.includes(kind)) continue;
    for (const c of concurrencies) {
      log(`${target.name}: ${kind} at concurrency ${c} for ${durationS}s`);
      const cpu0 = target.pid ? cpuMs(target.pid) : null;
      let row: LoadRow;
      if (kind === 'json') {
        const r = await jsonLoad({ url: `${target.url}/v1/chat/completions`, headers: target.headers, body: JSON_BODY, connections: c, durationS });
        row = { target: target.name, kind, concurrency: c, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors + r.non2xx };
      } else {
        const r = await streamLoad({ url: `${target.url}/v1/chat/completions`, headers: target.headers, body: STREAM_BODY, connections: c, durationS });
        row = { target: target.name, kind, concurrency: c, rps: r.streamsPerS, p50: r.ttfbP50, p99: r.ttfbP99, errors: r.errors };
      }
      const cpu1 = target.pid ? cpuMs(target.pid) : null;
      if (cpu0 !== null && cpu1 !== null && row.rps > 0) row.cpuMsPerReq = (cpu1 - cpu0) / (row.rps * durationS);
      if (target.pid) row.peakRssMb = peakRssMb(target.pid) ?? undefined;
      const base = direct.get(`${kind}/${c}`);
      if (base) {
        row.addedP50 = row.p50 - base.p50;
        row.addedP99 = row.p99 - base.p99;
      }
      if (target.name === 'direct') direct.set(`${kind}/${c}`, row);
      rows.push(row);
    }
  }
}

async function benchConfiguration(cfg: BenchConfiguration, mock: MockProcess, direct: Map<string, LoadRow>, rows: LoadRow[], open: OpenStreamsRow[]) {
  const env = typeof cfg.env === 'function' ? await cfg.env() : cfg.env;
  if (!env) {
    log(`${cfg.name}: skipped (its stores are not available on this machine)`);
    return;
  }
  log(`starting the gateway (${cfg.name}: ${cfg.description})${pin ? ' on CPU 0' : ''}`);
  const gw: GatewayProcess = await startGatewayProcess(dist, {
    mockUrl: mock.url,
    extraEnv: env,
    extraYaml: cfg.yaml,
    cpus: pin ? '0' : undefined,
    logLevel: process.env.LOG_LEVEL ?? 'info',
    ...(values['cpu-prof'] ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`, `--cpu-prof-name=${cfg.name}.cpuprofile`] } : {}),
  });
  live.push(gw);
  try {
    const apiKey = cfg.setup ? await cfg.setup(gw) : gw.masterKey;
    const target: Target = { name: cfg.name, url: gw.url, headers: { authorization: `Bearer ${apiKey}` }, pid: gw.process.pid };
    log(`${cfg.name}: warm-up`);
    await jsonLoad({ url: `${gw.url}/v1/chat/completions`, headers: target.headers, body: JSON_BODY, connections: 50, durationS: quick ? 1 : 2 });
    await measure(target, direct, rows);
    if (kinds.includes('open')) {
      log(`${cfg.name}: ${openCount} open streams`);
      let rss: number | null = null;
      const r = await openStreams({
        url: `${gw.url}/v1/chat/completions`,
        headers: target.headers,
        count: openCount,
        chunkDelayMs: 1000,
        holdMs: 3000,
        sample: () => {
          rss = rssMb(target.pid!);
        },
      });
      open.push({ target: cfg.name, requested: r.requested, opened: r.opened, openMs: r.openMs, rssMb: rss, peakRssMb: peakRssMb(target.pid!), errors: r.errors });
    }
  } finally {
    await gw.stop();
    live.splice(live.indexOf(gw), 1);
  }
}

async function main(): Promise<void> {
  if (pin) spawnSync(taskset()!, ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
  const rows: LoadRow[] = [];
  const open: OpenStreamsRow[] = [];
  const direct = new Map<string, LoadRow>();
  log(`duration ${durationS}s, concurrency ${concurrencies.join('/')}, ${pin ? 'gateway on CPU 0, mock and load generator on CPU 1' : 'no CPU pinning (taskset missing or 1 CPU)'}`);
  const mock = await startMockProcess(dist, { cpus: pin ? '1' : undefined });
  live.push(mock);
  try {
    // Direct-to-mock is the baseline for "added" latency, so it runs whenever a gateway row will be compared.
    if (wantDirect || chosen.length > 0) await measure({ name: 'direct', url: mock.url, headers: {}, pid: undefined }, direct, rows);
    if (!gatewayAvailable(dist)) {
      log(`no gateway at ${dist}/regional/src/main.js (run npm run build): measured the mock alone`);
    } else {
      for (const cfg of chosen) await benchConfiguration(cfg, mock, direct, rows, open);
    }
  } finally {
    await stopAll();
  }
  const table = formatTable(rows, open);
  console.log(table);
  const file = writeResults(join(repoRoot(), 'loadtest/results'), {
    when: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    pinned: pin,
    durationS,
    concurrencies,
    rows,
    openStreams: open,
  });
  console.log(`\nresults: ${file}`);
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
