/**
 * Synthesizes one environment offline (cdk.json + cdk.context.json, no AWS credentials), with the real built
 * viewer-request function, and returns the templates the rehearsal reads. cdk-nag is left to the CDK tests.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { distRoot, repoRoot } from '../../test-support/paths.js';
import type { EnvironmentConfig } from '../../infra/lib/config/environment.js';
import { buildSkyway, environmentFromContext } from '../../infra/lib/skyway-app.js';
import type { Template } from './template-model.js';

export interface Synthesized {
  config: EnvironmentConfig;
  edge: Template;
  regions: Array<{ region: string; template: Template }>;
  ms: number;
}

function projectContext(): Record<string, unknown> {
  const root = repoRoot();
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const cached = JSON.parse(readFileSync(join(root, 'cdk.context.json'), 'utf8')) as Record<string, unknown>;
  return { ...cdkJson.context, ...cached };
}

/** `patch`: fields merged into the environment's cdk.json entry (a variant of it, e.g. `--region-choice health`). */
export function synthesize(env: string, patch: Record<string, unknown> = {}): Synthesized {
  const t0 = Date.now();
  const functionFile = join(distRoot(), 'edge', 'viewer-request.js');
  if (!existsSync(functionFile)) throw new Error(`${functionFile} is missing: run npm run build`);
  const outdir = mkdtempSync(join(tmpdir(), `skyway-rehearse-${env}-`));
  try {
    const context = projectContext();
    const envs = context['skyway:environments'] as Record<string, Record<string, unknown>>;
    if (Object.keys(patch).length) context['skyway:environments'] = { ...envs, [env]: { ...envs[env], ...patch } };
    const app = new App({ outdir, context: { ...context, env, 'aws:cdk:disable-asset-staging': true } });
    const stacks = buildSkyway(app, environmentFromContext(app), { repoRoot: repoRoot(), functionFile, nag: false });
    const assembly = app.synth();
    const read = (name: string): Template => JSON.parse(readFileSync(join(assembly.directory, assembly.getStackByName(name).templateFile), 'utf8')) as Template;
    return {
      config: stacks.config,
      edge: read(stacks.edge.stackName),
      regions: stacks.regions.map((s) => ({ region: s.region, template: read(s.stackName) })),
      ms: Date.now() - t0,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
