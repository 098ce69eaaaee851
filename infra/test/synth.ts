/**
 * Test fixture: synthesizes one environment of the real app (cdk.json + cdk.context.json, cdk-nag on) in process,
 * with a tiny stand-in for the edge function artifact. Synth is the slow part (seconds): do it once per environment
 * per test file and share the templates.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { repoRoot } from '../../test-support/paths.js';
import type { EnvironmentConfig } from '../lib/config/environment.js';
import { buildSkyway, environmentFromContext, type SkywayStacks } from '../lib/skyway-app.js';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

/** A valid cloudfront-js-2.0 function, small enough for the 10 KB limit. */
export const STAND_IN_FUNCTION = 'async function handler(event) { return event.request; }\n';

export interface SynthesizedEnvironment {
  readonly app: App;
  readonly config: EnvironmentConfig;
  readonly stacks: SkywayStacks;
  readonly edge: Template;
  /** Regional templates by region code. */
  readonly regions: ReadonlyMap<string, Template>;
  /** The cloud assembly directory (holds validation-report.json). */
  readonly outdir: string;
  /** Path of the stand-in function file passed to the app. */
  readonly functionFile: string;
}

/** The `context` of cdk.json merged with cdk.context.json, as the CLI would pass them. */
export function projectContext(): Record<string, unknown> {
  const root = repoRoot();
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const cached = JSON.parse(readFileSync(join(root, 'cdk.context.json'), 'utf8')) as Record<string, unknown>;
  return { ...cdkJson.context, ...cached };
}

/** `patch`: fields merged into the environment's cdk.json entry (a variant the repository does not deploy). */
export function synthEnvironment(name: string, patch: Record<string, unknown> = {}): SynthesizedEnvironment {
  const outdir = mkdtempSync(join(tmpdir(), `skyway-cdk-${name}-`));
  const functionFile = join(outdir, 'viewer-request.js');
  writeFileSync(functionFile, STAND_IN_FUNCTION);
  const app = new App({
    outdir,
    // Fingerprint the image context but do not copy it: the tests read templates, not assets.
    context: { ...patched(projectContext(), name, patch), env: name, 'aws:cdk:disable-asset-staging': true },
  });
  const stacks = buildSkyway(app, environmentFromContext(app), { repoRoot: repoRoot(), functionFile });
  app.synth();
  const regions = new Map(stacks.regions.map((s) => [s.region, Template.fromStack(s)] as const));
  return { app, config: stacks.config, stacks, edge: Template.fromStack(stacks.edge), regions, outdir, functionFile };
}

/** Removes the temporary cloud assembly. */
export function removeSynthesized(env: SynthesizedEnvironment | undefined): void {
  if (env) rmSync(env.outdir, { recursive: true, force: true });
}

/** Resources of `type` in a template, as [logicalId, properties] pairs. */
export function resourcesOf(template: Template, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(template.findResources(type)).map(([id, r]) => [id, (r as { Properties?: Record<string, any> }).Properties ?? {}]);
}

/** The only resource of `type` matching `props` (fails unless exactly one). */
export function onlyResource(template: Template, type: string, props: Record<string, unknown> = {}): Record<string, any> {
  const found = Object.values(template.findResources(type, props ? { Properties: props } : undefined));
  if (found.length !== 1) throw new Error(`expected exactly one ${type} matching ${JSON.stringify(props)}, found ${found.length}`);
  return (found[0] as { Properties: Record<string, any> }).Properties;
}

function patched(context: Record<string, unknown>, name: string, patch: Record<string, unknown>): Record<string, unknown> {
  if (Object.keys(patch).length === 0) return context;
  const envs = context['skyway:environments'] as Record<string, Record<string, unknown>>;
  return { ...context, 'skyway:environments': { ...envs, [name]: { ...envs[name], ...patch } } };
}
