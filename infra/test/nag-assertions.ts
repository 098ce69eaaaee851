/** cdk-nag (AwsSolutions) over one synthesized environment (registered by stacks.test.ts). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { SynthesizedEnvironment } from './synth.js';

/** Open (unacknowledged) AwsSolutions findings under `scope`, as `rule path` lines. */
export function openNagFindings(scope: SynthesizedEnvironment['app']): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? r.resourceLogicalId}`));
}

export function nagTests(get: () => SynthesizedEnvironment): void {
  // Synth itself runs the plugin and throws in memory on any open finding; this re-check makes the result explicit.
  it('passes cdk-nag AwsSolutions (every remaining finding acknowledged in code with a reason)', () => {
    assert.deepEqual(openNagFindings(get().app), []);
  });
}
