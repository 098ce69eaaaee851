/**
 * `npm run bench`: the gateway's own cost on this machine, as ratios to a bare uWS + undici proxy (the floor)
 * measured in the same run, next to a direct call to the mock.
 *
 *   node dist/loadtest/bench/run.js [--duration 8] [--repeat 3] [--quick] [--only floor,embedded,json,stream,open,direct]
 *        [--bodies 1k,1.2k] [--open-streams 5000] [--concurrency 1,50,200] [--cpu-prof DIR]
 *        [--threads N] [--gateway-cpus 0] [--load-cpus 1] [--node-flags=--max-semi-space-size=4] [--markdown]
 *        [--compare OTHER_DIST] [--compare-flags=--max-semi-space-size=2]  (flags: use =, they start with a dash)
 *
 * Every target (floor and gateways) starts first and stays up; then each step (kind × body × concurrency) runs
 * on every target in turn, `--repeat` times, the order rotating per round, so that the machine's noise drifts
 * over all targets alike. A row is the median of its repeats; `spread` says how far the repeats were apart.
 * --cpu-prof DIR writes a V8 CPU profile of each target into DIR (open it in Chrome DevTools).
 * The gateways and the floor run on --gateway-cpus, the mock and this load generator on --load-cpus (taskset).
 * --compare OTHER_DIST also starts every gateway configuration from another build (a copy of an earlier `dist/`
 * inside the repository, so that it finds node_modules) as `<name>@base`: before/after in one run, same noise.
 * --compare-flags FLAGS does the same with other node flags (from OTHER_DIST when given, else this build).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { distRoot, repoRoot } from '../../test-support/paths.js';
import { taskset } from '../support/processes.js';
import { gatewayAvailable, startMockProcess, type MockProcess } from '../support/stack.js';
import { chatBody, parseBodySizes } from './bodies.js';
import { configurations, dropBenchDatabases } from './configurations.js';
import { jsonLoad } from './json-load.js';
import { openStreams } from './open-streams.js';
import { cpuMs, peakRssMb, rssMb } from './proc-stats.js';
import { addFloorRatios, formatMarkdown, formatTable, writeResults, type LoadRow, type OpenStreamsRow } from './report.js';
import { streamLoad } from './stream-load.js';
import { startTarget, type Target } from './targets.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    repeat: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    bodies: { type: 'string' },
    'open-streams': { type: 'string' },
    concurrency: { type: 'string' },
    'cpu-prof': { type: 'string' },
    threads: { type: 'string' },
    'gateway-cpus': { type: 'string' },
    'load-cpus': { type: 'string' },
    markdown: { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
    compare: { type: 'string' },
    'compare-flags': { type: 'string' },
  },
});

const quick = values.quick === true;
const durationS = Number(values.duration ?? (quick ? 3 : 8));
const repeats = Number(values.repeat ?? (quick ? 1 : 3));
const concurrencies = (values.concurrency ?? (quick ? '1,50' : '1,50,200')).split(',').map(Number);
const bodies = parseBodySizes(values.bodies ?? '1k,1.2k');
const openCount = Number(values['open-streams'] ?? (quick ? 500 : 5000));
const threads = values.threads !== undefined ? Number(values.threads) : undefined;
const KINDS = ['json', 'stream', 'open'];
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const kinds = KINDS.filter((k) => !only || only.has(k) || ![...only].some((o) => KINDS.includes(o)));
const namedTargets = only ? [...only].filter((o) => o === 'direct' || configurations.some((c) => c.name === o)) : [];
const wantDirect = namedTargets.length === 0 || namedTargets.includes('direct');
const chosen = configurations.filter((c) => namedTargets.length === 0 || namedTargets.includes(c.name));
if (!Number.isFinite(durationS) || durationS <= 0 || !Number.isInteger(repeats) || repeats < 1 || concurrencies.some((c) => !Number.isInteger(c) || c < 1) || (threads !== undefined && !(threads >= 1))) {
  console.error('bench: --duration must be > 0, --repeat and --threads positive integers, --concurrency a list of positive integers');
  process.exit(2);
}

const dist = distRoot();
const cpuCount = availableParallelism(); // before this process pins itself to the load CPUs
const canPin = taskset() !== null && cpuCount >= 2;
const gatewayCpus = values['gateway-cpus'] ?? (canPin ? '0' : undefined);
const loadCpus = values['load-cpus'] ?? (canPin ? '1' : undefined);
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
  process.stderr.write(`bench: ${msg} (load ${loadavg()[0]!.toFixed(2)})\n`);
}

interface Step {
  kind: 'json' | 'stream';
  body: string;
  concurrency: number;
}

interface Samples {
  rps: number[];
  p50: number[];
  p99: number[];
  cpuMs: number;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function runStep(t: Target, step: Step, into: Samples): Promise<void> {
  const size = bodies.find((b) => b.label === step.body)!;
  const cpu0 = t.pid ? cpuMs(t.pid) : null;
  const url = `${t.url}/v1/chat/completions`;
  let rps: number, p50: number, p99: number, errors: number;
  if (step.kind === 'json') {
    const r = await jsonLoad({ url, headers: t.headers, body: chatBody(size.bytes, false), connections: step.concurrency, durationS });
    ({ rps, p50, p99 } = r);
    errors = r.errors + r.non2xx;
    for (const [k, v] of Object.entries(r.statuses)) into.statuses[k] = (into.statuses[k] ?? 0) + v;
  } else {
    const r = await streamLoad({ url, headers: t.headers, body: chatBody(size.bytes, true), connections: step.concurrency, durationS });
    ({ streamsPerS: rps, ttfbP50: p50, ttfbP99: p99, errors } = r);
  }
  const cpu1 = t.pid ? cpuMs(t.pid) : null;
  into.rps.push(rps);
  into.p50.push(p50);
  into.p99.push(p99);
  into.errors += errors;
  if (cpu0 !== null && cpu1 !== null) {
    into.cpuMs += cpu1 - cpu0;
    into.requests += rps * durationS;
  }
}

async function startTargets(mock: MockProcess): Promise<Target[]> {
  const targets: Target[] = [];
  if (wantDirect || chosen.length > 0) targets.push({ name: 'direct', url: mock.url, headers: {}, stop: async () => undefined });
  if (!gatewayAvailable(dist)) {
    log(`no gateway at ${dist}/regional/src/main.js (run npm run build): measuring the mock alone`);
    return targets;
  }
  const nodeFlags = values['node-flags']?.split(/\s+/).filter(Boolean) ?? [];
  const compareFlags = values['compare-flags']?.split(/\s+/).filter(Boolean);
  const compare = values.compare !== undefined || compareFlags !== undefined;
  const base = { from: values.compare ?? dist, flags: compareFlags ?? nodeFlags };
  const runs = chosen.flatMap((cfg) => [{ cfg, from: dist, flags: nodeFlags }, ...(compare && cfg.program !== 'floor' ? [{ cfg: { ...cfg, name: `${cfg.name}@base` }, ...base }] : [])]);
  for (const { cfg, from, flags } of runs) {
    const how = [from !== dist ? `from ${from}` : '', flags.length ? `node ${flags.join(' ')}` : ''].filter(Boolean).join(', ');
    log(`starting ${cfg.name}: ${cfg.description}${gatewayCpus ? ` on CPU ${gatewayCpus}` : ''}${how ? ` (${how})` : ''}`);
    const t = await startTarget(cfg, { dist: from, mock, cpus: gatewayCpus, threads, cpuProfDir: values['cpu-prof'], nodeFlags: flags });
    if (!t) {
      log(`${cfg.name}: skipped (its stores are not available on this machine)`);
      continue;
    }
    live.push(t);
    targets.push(t);
    log(`${cfg.name}: warm-up`);
    await jsonLoad({ url: `${t.url}/v1/chat/completions`, headers: t.headers, body: chatBody(bodies[0]!.bytes, false), connections: 50, durationS: quick ? 1 : 2 });
  }
  return targets;
}

async function openPhase(t: Target): Promise<OpenStreamsRow> {
  log(`${t.name}: ${openCount} open streams`);
  let rss: number | null = null;
  const r = await openStreams({
    url: `${t.url}/v1/chat/completions`,
    headers: t.headers,
    count: openCount,
    chunkDelayMs: 1000,
    holdMs: 3000,
    sample: () => void (rss = rssMb(t.pid!)),
  });
  return { target: t.name, requested: r.requested, opened: r.opened, openMs: r.openMs, rssMb: rss, peakRssMb: peakRssMb(t.pid!), errors: r.errors, errorKinds: r.errorKinds };
}

async function main(): Promise<void> {
  if (loadCpus) spawnSync(taskset()!, ['-a', '-cp', loadCpus, String(process.pid)], { stdio: 'ignore' });
  const loadStart = loadavg();
  log(`${durationS}s × ${repeats} per step, concurrency ${concurrencies.join('/')}, bodies ${bodies.map((b) => `${b.label}=${b.bytes}B`).join(' ')}, threads ${threads ?? 'default'}, ` + (gatewayCpus ? `gateway on CPU ${gatewayCpus}, mock and load generator on CPU ${loadCpus}` : 'no CPU pinning'));
  const mock = await startMockProcess(dist, { cpus: loadCpus });
  live.push(mock);
  const samples = new Map<string, Samples>();
  const open: OpenStreamsRow[] = [];
  let targets: Target[] = [];
  const steps: Step[] = [];
  for (const kind of ['json', 'stream'] as const) {
    if (!kinds.includes(kind)) continue;
    for (const body of kind === 'json' ? bodies : bodies.slice(0, 1)) for (const c of concurrencies) steps.push({ kind, body: body.label, concurrency: c });
  }
  try {
    targets = await startTargets(mock);
    for (let round = 0; round < repeats; round++) {
      for (const step of steps) {
        for (let i = 0; i < targets.length; i++) {
          const t = targets[(i + round) % targets.length]!;
          log(`round ${round + 1}/${repeats}: ${t.name} ${step.kind} body ${step.body} c=${step.concurrency}`);
          const key = `${t.name}|${step.kind}|${step.body}|${step.concurrency}`;
          if (!samples.has(key)) samples.set(key, { rps: [], p50: [], p99: [], cpuMs: 0, requests: 0, errors: 0, statuses: {} });
          await runStep(t, step, samples.get(key)!);
        }
      }
    }
    if (kinds.includes('open')) for (const t of targets) if (t.pid) open.push(await openPhase(t));
  } finally {
    // Streams that just closed still settle and record (a burst per target): read the peaks once that is done,
    // or the last target's peak would miss its burst and the others' would not.
    if (kinds.includes('open') && open.length > 0) await new Promise((r) => setTimeout(r, 5000));
    const peaks = new Map(targets.filter((t) => t.pid).map((t) => [t.name, peakRssMb(t.pid!)]));
    const rows: LoadRow[] = [];
    for (const t of targets) {
      for (const step of steps) {
        const s = samples.get(`${t.name}|${step.kind}|${step.body}|${step.concurrency}`);
        if (!s || s.rps.length === 0) continue;
        const m = median(s.rps);
        rows.push({
          target: t.name,
          ...step,
          rps: m,
          p50: median(s.p50),
          p99: median(s.p99),
          spread: m > 0 ? (Math.max(...s.rps) - Math.min(...s.rps)) / m : 0,
          repeats: s.rps.length,
          cpuMsPerReq: s.requests > 0 ? s.cpuMs / s.requests : undefined,
          peakRssMb: peaks.get(t.name) ?? undefined,
          errors: s.errors,
          ...(Object.keys(s.statuses).length ? { errorStatuses: s.statuses } : {}),
        });
      }
    }
    await stopAll();
    addFloorRatios(rows);
    const loadEnd = loadavg();
    console.log(formatTable(rows, open));
    console.log(`\nload average (1/5/15 min) at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadEnd.map((x) => x.toFixed(2)).join(' ')}; ${cpuCount} CPUs`);
    if (values.markdown) console.log('\n' + formatMarkdown(rows));
    const file = writeResults(join(repoRoot(), 'loadtest/results'), {
      when: new Date().toISOString(),
      node: process.version,
      cpus: cpuCount,
      gatewayCpus,
      loadCpus,
      threads,
      loadavg: { start: loadStart, end: loadEnd },
      durationS,
      repeats,
      concurrencies,
      bodies,
      rows,
      openStreams: open,
    });
    console.log(`results: ${file}`);
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
