/**
 * Runs a k6 script's logic in Node, for tests: setup(), then each scenario's exec function a few iterations
 * (one VU, no pacing), then teardown(), then the thresholds of `options` over what was recorded. Register the
 * resolution hook first (registerStandin) so the script's `k6/...` imports load the stand-ins.
 */
import { register } from 'node:module';
import { type CheckRecord, type MetricRecord, resetState, state } from './context.js';
import { stopHttpWorker } from './sync-http.js';
import { evaluate, type ThresholdResult } from './thresholds.js';

let registered = false;

export function registerStandin(): void {
  if (registered) return;
  register(new URL('./hooks.js', import.meta.url));
  registered = true;
}

type Threshold = string | { threshold: string; abortOnFail?: boolean };

interface ScriptOptions {
  tags?: Record<string, string>;
  thresholds?: Record<string, Threshold[]>;
  scenarios?: Record<string, { exec?: string; executor: string }>;
}

interface ScriptModule {
  options?: ScriptOptions;
  setup?: () => unknown;
  teardown?: (data: unknown) => void;
  default?: (data: unknown) => void;
  [exec: string]: unknown;
}

export interface RunResult {
  options: ScriptOptions;
  setupData: unknown;
  checks: Map<string, CheckRecord>;
  metrics: Map<string, MetricRecord>;
  thresholds: ThresholdResult[];
  /** Checks that failed at least once. */
  failedChecks: string[];
  /** Thresholds that were crossed. */
  crossed: ThresholdResult[];
}

interface K6Globals {
  __ENV: Record<string, string>;
  __VU: number;
  __ITER: number;
}

let runs = 0;

export async function runScript(scriptUrl: URL, env: Record<string, string>, iterations: number): Promise<RunResult> {
  registerStandin();
  resetState();
  const g = globalThis as unknown as K6Globals;
  g.__ENV = { ...env };
  g.__VU = 0; // k6 runs setup() outside any VU
  g.__ITER = 0;
  try {
    const url = new URL(scriptUrl);
    url.searchParams.set('standin-run', String(++runs)); // a fresh module instance, reading this run's __ENV
    const mod = (await import(url.href)) as ScriptModule;
    const options = mod.options ?? {};
    state.tags = { ...options.tags };
    const setupData = mod.setup ? mod.setup() : undefined;
    g.__VU = 1;
    const scenarios = options.scenarios ?? { default: { executor: 'per-vu-iterations' } };
    for (const [name, scenario] of Object.entries(scenarios)) {
      const exec = scenario.exec ?? 'default';
      const fn = mod[exec];
      if (typeof fn !== 'function') throw new Error(`scenario ${name}: the script exports no function ${exec}`);
      state.tags = { ...options.tags, scenario: name };
      for (let i = 0; i < iterations; i++) {
        g.__ITER = i;
        (fn as (data: unknown) => void)(setupData);
      }
    }
    state.tags = { ...options.tags };
    mod.teardown?.(setupData);
    const thresholds: ThresholdResult[] = [];
    for (const [key, list] of Object.entries(options.thresholds ?? {})) {
      for (const t of list) thresholds.push(evaluate(key, typeof t === 'string' ? t : t.threshold, state.metrics));
    }
    const checks = new Map(state.checks);
    return {
      options,
      setupData,
      checks,
      metrics: new Map(state.metrics),
      thresholds,
      failedChecks: [...checks].filter(([, c]) => c.fails > 0).map(([n]) => n),
      crossed: thresholds.filter((t) => !t.ok),
    };
  } finally {
    await stopHttpWorker();
  }
}
