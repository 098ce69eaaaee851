/**
 * Runs the rehearsal of one environment: deploy it from its templates, run the scenarios in order, tear down.
 * Each scenario yields one PASS/FAIL line with its figures.
 */
import { globalSecretNames } from '../../infra/lib/config/environment.js';
import { startMockUpstream } from '../../loadtest/mock/server.js';
import { closeClient } from './client.js';
import { deploy } from './deployment.js';
import type { Outcome, Scenario, ScenarioContext } from './scenario.js';
import { adminHost } from './scenarios/a-admin-host.js';
import { apiHost } from './scenarios/b-api-host.js';
import { revoke } from './scenarios/c-revoke.js';
import { rollingDeploy } from './scenarios/d-rolling-deploy.js';
import { usageDurability } from './scenarios/e-usage-durability.js';
import { redisLoss } from './scenarios/f-redis-loss.js';
import { regionFailover } from './scenarios/g-region-failover.js';
import { residency } from './scenarios/h-residency.js';
import { globalKey } from './scenarios/1-global-key.js';
import { globalBudget } from './scenarios/4-global-budget.js';
import { primaryRegionDown } from './scenarios/5-primary-down.js';

/** Letters: the rehearsal's own scenarios; digits: issue 14's numbered scenarios (5 cuts a region: it runs last). */
export const SCENARIOS: readonly Scenario[] = [adminHost, apiHost, revoke, rollingDeploy, usageDurability, redisLoss, globalKey, globalBudget, regionFailover, residency, primaryRegionDown];

export interface ScenarioReport extends Outcome {
  id: string;
  title: string;
  ms: number;
}

export interface RehearsalReport {
  env: string;
  regions: string[];
  scenarios: ScenarioReport[];
  ms: number;
}

export async function rehearse(env: string, opts: { only?: string[]; log?: (line: string) => void; onResult?: (r: ScenarioReport) => void; environmentPatch?: Record<string, unknown> } = {}): Promise<RehearsalReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const t0 = Date.now();
  const mock = await startMockUpstream({});
  const d = await deploy(env, log, opts.environmentPatch ? { environmentPatch: opts.environmentPatch } : {}).catch(async (err: unknown) => {
    await mock.close();
    throw err;
  });
  const names = globalSecretNames(d.synth.config);
  const ctx: ScenarioContext = {
    d,
    mock,
    masterKey: d.secrets.resolve('us-east-1', names.masterKey),
    originVerify: d.secrets.resolve('us-east-1', names.originVerify),
    state: { model: 'rehearsal-model' },
    log,
  };
  const scenarios: ScenarioReport[] = [];
  try {
    for (const s of SCENARIOS) {
      if (opts.only && !opts.only.includes(s.id)) continue;
      const s0 = Date.now();
      let outcome: Outcome;
      const missing = s.needs?.();
      try {
        outcome = missing ? { pass: true, skipped: missing, figures: missing } : await s.run(ctx);
      } catch (err) {
        outcome = { pass: false, figures: `threw: ${(err as Error).stack ?? String(err)}`.slice(0, 2000) };
      }
      const report = { id: s.id, title: s.title, ms: Date.now() - s0, ...outcome };
      scenarios.push(report);
      opts.onResult?.(report);
    }
  } finally {
    await d.close();
    await mock.close();
    await closeClient();
  }
  return { env, regions: d.regions.map((r) => r.region), scenarios, ms: Date.now() - t0 };
}

export function formatResult(r: ScenarioReport): string {
  return `${r.skipped ? 'SKIP' : r.pass ? 'PASS' : 'FAIL'} ${r.id} ${r.title} (${r.ms} ms): ${r.figures}`;
}
