/** What every scenario gets and returns. */
import type { MockUpstream } from '../../loadtest/mock/server.js';
import { call, type Reply } from './client.js';
import type { Deployment, RegionRuntime } from './deployment.js';

export interface RehearsalState {
  model: string;
  teamId?: string;
  /** The key scenario a creates (model list, RPM, budget); revoked by c. */
  key?: { id: string; key: string };
}

export interface ScenarioContext {
  d: Deployment;
  mock: MockUpstream;
  /** The master key, read from the master-key secret (as an operator would). */
  masterKey: string;
  /** The origin-verify secret (what CloudFront adds), for calls straight to a task. */
  originVerify: string;
  state: RehearsalState;
  log(line: string): void;
}

export interface Outcome {
  pass: boolean;
  /** Set when the scenario did not run (the reason). */
  skipped?: string;
  figures: string;
}

export interface Scenario {
  id: string;
  title: string;
  /** Why the scenario cannot run on this tree (it reports SKIP with the reason), if so. */
  needs?: () => string | undefined;
  run(ctx: ScenarioContext): Promise<Outcome>;
}

/** The region the edge sends API and admin traffic to (the distribution's default origin). */
export function servingRegion(ctx: ScenarioContext): RegionRuntime {
  const id = ctx.d.edge.behaviours.find((b) => b.pathPattern === '*')!.originId;
  const origin = ctx.d.edge.origins.find((o) => o.id === id)!;
  return ctx.d.regions.find((r) => origin.domainName.startsWith(`origin-${r.region}.`)) ?? ctx.d.regions[0]!;
}

/**
 * Headers of a viewer near the serving region. CloudFront sets `cloudfront-viewer-country` from the viewer's IP;
 * every rehearsal viewer is on loopback, so the client sends it. With one region there is nothing to choose;
 * with several (staging, `regionChoice: health`) scenarios a–f, which watch the serving region's tasks and
 * stores, must be viewers near it or the edge sends them to the region nearest to nobody in particular.
 */
export function viewerHeaders(ctx: ScenarioContext): Record<string, string> {
  if (ctx.d.regions.length < 2) return {};
  const near = ctx.d.synth.config.regions.find((r) => r.region === servingRegion(ctx).region)?.near[0];
  return near ? { 'cloudfront-viewer-country': near } : {};
}

/** Admin API call through the edge's admin host with the master key. */
export function admin(ctx: ScenarioContext, method: string, path: string, body?: unknown): Promise<Reply> {
  return call(ctx.d.cloudfront.url, ctx.d.hosts.admin, method, path, { token: ctx.masterKey, ...(body !== undefined ? { body } : {}) });
}

/** Create a key through the admin host; throws unless 201. */
export async function createKey(ctx: ScenarioContext, body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const r = await admin(ctx, 'POST', '/admin/keys', { models: [ctx.state.model], ...body });
  if (r.status !== 201) throw new Error(`POST /admin/keys: ${r.status} ${r.text}`);
  const k = r.json<{ id: string; key: string }>();
  return { id: k.id, key: k.key };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
