/**
 * Helpers of the multi-region scenarios (g, h): the two regions, the KVS `regions` rows the admin roles publish,
 * calls through the edge as a viewer of a given country, and stopping/restoring one region's api service.
 */
import { readFileSync } from 'node:fs';
import type { RegionTable } from '../../../shared/contract/region-health.js';
import { call, chatBody, type Reply } from '../client.js';
import type { RegionRuntime } from '../deployment.js';
import type { ScenarioContext } from '../scenario.js';
import { sleep } from '../scenario.js';

/** Why a scenario needs two regions, when the environment has fewer. */
export function needsTwoRegions(ctx: ScenarioContext): string | undefined {
  if (ctx.d.regions.length < 2) return `environment ${ctx.d.env} has ${ctx.d.regions.length} region; run with --env staging`;
  if (ctx.d.synth.config.regionChoice !== 'health') return `environment ${ctx.d.env} sends keys to its first region (regionChoice first-region); run with --region-choice health`;
  return undefined;
}

/** A viewer country the region lists in cdk.json (`near`). */
export function countryOf(ctx: ScenarioContext, region: RegionRuntime): string {
  const c = ctx.d.synth.config.regions.find((r) => r.region === region.region)?.near[0];
  if (!c) throw new Error(`region ${region.region} lists no nearby viewer countries in cdk.json`);
  return c;
}

/** The `regions` rows as the edge reads them now. */
export function regionRows(ctx: ScenarioContext): RegionTable {
  try {
    const kvs = JSON.parse(readFileSync(ctx.d.kvsFile, 'utf8')) as Record<string, string>;
    return kvs['regions'] ? (JSON.parse(kvs['regions']) as RegionTable) : {};
  } catch {
    return {};
  }
}

/** Wait until `test` holds for the rows (polled every 100 ms); returns the ms waited or undefined on timeout. */
export async function untilRows(ctx: ScenarioContext, test: (rows: RegionTable) => boolean, timeoutMs: number): Promise<number | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (test(regionRows(ctx))) return Date.now() - t0;
    await sleep(100);
  }
  return undefined;
}

/** A chat call through the edge as a viewer in `country` (CloudFront sets cloudfront-viewer-country from the IP). */
export function chatFrom(ctx: ScenarioContext, country: string, token: string): Promise<Reply> {
  return call(ctx.d.cloudfront.url, ctx.d.hosts.api, 'POST', '/v1/chat/completions', { token, body: chatBody(ctx.state.model), headers: { 'cloudfront-viewer-country': country } });
}

export const servedBy = (r: Reply): string | undefined => (typeof r.headers['x-skyway-region'] === 'string' ? r.headers['x-skyway-region'] : undefined);

/** Stop every api task of the region (ECS scaled to zero, or every task lost). */
export async function stopApi(region: RegionRuntime): Promise<void> {
  await Promise.all([...region.api.tasks].map((t) => region.api.lose(t)));
}
