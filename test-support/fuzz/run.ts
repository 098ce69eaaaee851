/**
 * The fuzz property and its runner, shared by the CI test (regional/test/fuzz.test.ts) and `npm run fuzz`.
 *
 * Property, per burst of 1–3 concurrent generated requests: the gateway process is still alive and answers;
 * nothing reached its last-resort error handlers (log lines, or a metric whose name says uncaught or unhandled on the
 * ops port); every answer that arrived passes invariants.ts; once every client has gone, the key holds no
 * reservation in Redis. A case that kills the process fails the property and the process is restarted, so
 * the next case — and fast-check's shrinking — run against a live gateway.
 *
 * Two modes: `assert` stops at the first failure and shrinks it to a small reproducer (CI); `catalog` keeps
 * going and collects examples of every violation class it meets (for finding everything in one long run).
 */
import fc from 'fast-check';
import { fuzzBurst, type FuzzCase } from './generators.js';
import { checkExchange, expectsAnswer, UNOWED_ANSWER_WAIT_MS, type Violation } from './invariants.js';
import { send, type Exchange } from './raw-client.js';
import { describeCase, renderRequest } from './request.js';
import type { FuzzStack } from './stack.js';

export interface FuzzOptions {
  seed: number;
  /** Stop after this many bursts… */
  runs: number;
  /** …or after this long, whichever comes first (shrinking included). */
  seconds: number;
  /** Replay one counterexample: fast-check's path printed with a failure. */
  path?: string;
  mode: 'assert' | 'catalog';
  /** A well-framed request unanswered after this long is a violation. */
  answerTimeoutMs?: number;
  /** How long reservations may take to be released after the last client left. */
  settleMs?: number;
}

export interface Finding {
  violation: Violation;
  burst: FuzzCase[];
  /** Index in `burst` of the request the violation is about (undefined: the process as a whole). */
  index?: number;
}

export interface FuzzReport {
  seed: number;
  bursts: number;
  requests: number;
  ms: number;
  restarts: number;
  /** Outcome of every request: `200`, `400 invalid_body`, `closed`, `aborted`, `timeout`, `malformed`. */
  outcomes: Record<string, number>;
  /** assert mode: the (shrunk) failure, formatted with its replay command. */
  failure?: string;
  /** catalog mode: up to 3 findings per violation kind and cause, and how often each was seen. */
  catalog: Map<string, { count: number; examples: Finding[] }>;
}

export class FuzzViolation extends Error {
  constructor(readonly finding: Finding) {
    super(`${finding.violation.kind}: ${finding.violation.detail}`);
  }
}

function outcomeOf(x: Exchange): string {
  if (x.kind !== 'answered') return x.kind;
  let code = '';
  try {
    const v = JSON.parse(x.response.body.toString('utf8')) as { error?: { code?: unknown; type?: unknown } };
    code = String(v.error?.code ?? v.error?.type ?? '');
  } catch {
    /* a stream or not JSON */
  }
  return `${x.response.status}${code ? ' ' + code : ''}`;
}

/**
 * Rendering /metrics costs ~18 ms here (many histograms): read it every this many bursts, not after each. A hit
 * found there is reported with the burst that saw it, which may be up to this many bursts after its cause
 * (the log line check names the cause's burst once the line is flushed, within about a second).
 */
const METRICS_EVERY = 16;

/** Checks of the process as a whole, after a burst. */
async function processViolation(stack: FuzzStack, burstNo: number): Promise<Violation | undefined> {
  if (!(await stack.answers())) {
    // Give the exit a moment to be observed, for the exit code in the report.
    for (let i = 0; i < 20 && !stack.exitStatus(); i++) await new Promise((r) => setTimeout(r, 50));
    const lines = stack.outputTail(3000).split('\n');
    const last = lines.filter((l) => /Error|error|at /.test(l)).slice(-12).join('\n    ');
    // Node prints the fatal error as `XxxError: message` followed by its stack: the first frame names the cause.
    const fatal = lines.findLastIndex((l) => /^[A-Za-z]*Error\b/.test(l));
    const cause = fatal < 0 ? undefined : `${lines[fatal]!.slice(0, 120)} ${lines.slice(fatal + 1).find((l) => /^\s+at .*\/dist\//.test(l))?.trim().replace(/^at .*\/dist\//, 'at ') ?? ''}`;
    return { kind: 'process-exited', cause, detail: `${stack.exitStatus() ?? 'stopped answering'}; last output:\n    ${last}` };
  }
  const lines = stack.lastResortLines();
  if (lines.length > 0) return { kind: 'last-resort-handler', detail: lines.slice(0, 3).join('\n    ') };
  if (burstNo % METRICS_EVERY !== 0) return undefined;
  const hits = await stack.lastResortMetric();
  if (hits) return { kind: 'last-resort-handler', detail: `${hits} hit(s) counted on /metrics (caused by this burst or one of the ${METRICS_EVERY - 1} before it)` };
  return undefined;
}

export function formatFinding(f: Finding): string {
  const parts = [`violation ${f.violation.kind}: ${f.violation.detail}`];
  f.burst.forEach((c, i) => {
    const tag = f.burst.length === 1 ? 'request' : `request ${i + 1} of ${f.burst.length} (sent concurrently)${i === f.index ? ' ← this one' : ''}`;
    parts.push(`${tag}:\n${describeCase(c)}`);
  });
  return parts.join('\n');
}

export async function runFuzz(stack: FuzzStack, opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const report: FuzzReport = { seed: opts.seed, bursts: 0, requests: 0, ms: 0, restarts: 0, outcomes: {}, catalog: new Map() };
  const record = (f: Finding) => {
    const name = f.violation.cause ? `${f.violation.kind} (${f.violation.cause})` : f.violation.kind;
    const entry = report.catalog.get(name) ?? { count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < 3) entry.examples.push(f);
    report.catalog.set(name, entry);
  };
  const keys = { key: stack.key, masterKey: stack.masterKey };

  const checkBurst = async (burst: FuzzCase[]): Promise<void> => {
    if (await stack.ensureRunning()) {
      // A process that died holding leases cannot release them (they expire after the lease time): not a leak.
      await stack.clearReservations();
      report.restarts++;
    }
    report.bursts++;
    report.requests += burst.length;
    const port = stack.port;
    // An invalid request may be ignored by the server: wait briefly, only to check an answer if one comes.
    const timeoutMs = (c: FuzzCase) => (expectsAnswer(c) ? (opts.answerTimeoutMs ?? 10_000) : UNOWED_ANSWER_WAIT_MS);
    const answers = await Promise.all(burst.map((c) => send({ port, ...renderRequest(c, keys), timeoutMs: timeoutMs(c) })));
    const findings: Finding[] = [];
    const whole = await processViolation(stack, report.bursts);
    if (whole) findings.push({ violation: whole, burst });
    answers.forEach((x, i) => {
      const outcome = outcomeOf(x);
      report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
      // Answers cut short by a dying process say nothing more than the death itself.
      const v = whole?.kind === 'process-exited' ? undefined : checkExchange(burst[i]!, x);
      if (v) findings.push({ violation: v, burst, index: i });
    });
    if (!whole || whole.kind !== 'process-exited') {
      const held = await stack.settled(opts.settleMs ?? 3000);
      if (held.leases || held.reservedMicro) {
        findings.push({ violation: { kind: 'reservation-leak', detail: `${held.leases} in-flight lease(s) and ${held.reservedMicro} µUSD still reserved ${opts.settleMs ?? 3000} ms after every client left` }, burst });
        await stack.clearReservations();
      }
    }
    if (opts.mode === 'catalog') findings.forEach(record);
    else if (findings.length > 0) throw new FuzzViolation(findings[0]!);
  };
  // The time limit can end fc.check while a burst is still running: wait for it, so that nothing (a restart
  // of the gateway) happens after the caller closed the stack.
  let inFlight: Promise<void> = Promise.resolve();
  const property = fc.asyncProperty(fuzzBurst, (burst) => (inFlight = checkBurst(burst)));

  const details = await fc.check(property, {
    seed: opts.seed,
    numRuns: opts.runs,
    ...(opts.path ? { path: opts.path } : {}),
    plugins: [fc.interruptAfterTimeLimit(opts.seconds * 1000)],
  });
  await inFlight.catch(() => undefined);
  report.ms = Date.now() - started;
  if (details.failed && details.counterexample) {
    const err = details.errorInstance;
    const finding = err instanceof FuzzViolation ? err.finding : { violation: { kind: 'harness-error', detail: String((err as Error | undefined)?.stack ?? err) }, burst: (details.counterexample as unknown as [FuzzCase[]])[0] };
    report.failure = [
      `fuzz failed after ${details.numRuns} burst(s), shrunk ${details.numShrinks} time(s); seed ${details.seed}, path ${details.counterexamplePath}`,
      formatFinding(finding),
      `replay: npm run fuzz -- --seed ${details.seed} --path ${details.counterexamplePath}`,
    ].join('\n');
  }
  return report;
}

/** One line per outcome, most frequent first. */
export function formatOutcomes(outcomes: Record<string, number>): string {
  return Object.entries(outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} × ${k}`)
    .join(', ');
}
