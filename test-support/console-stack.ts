/**
 * The local stack the console's browser tests drive: chromium (Debian's, via puppeteer-core), a gateway process
 * playing both roles on Postgres with the console on its admin listener, the local OIDC issuer, the mock upstream,
 * and the local edge running the built viewer-request function in front of the gateway. Everything it starts is
 * stopped when the test ends; undefined (the test skipped, loudly) when chromium or Postgres cannot be had.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { bundleText, defaultSource } from '../edge/build/bundle.js';
import { startLocalEdge } from '../edge/local/server.js';
import { startMockUpstream } from '../loadtest/mock/server.js';
import { chromium, testOutputDir } from './browser.js';
import { signingSecretsEnv, waitForAdmin } from './e2e-admin.js';
import { startGatewayProcess, type GatewayProcess } from './gateway.js';
import { startTestIssuer, type TestIssuer } from './oidc-issuer.js';
import { postgres } from './services.js';

export interface ConsoleStack {
  browser: Browser;
  gw: GatewayProcess;
  idp: TestIssuer;
  /** Base URL of the local edge (what API clients call). */
  edgeUrl: string;
  /** Where the test's screenshots go (.test-output/<name>/). */
  out: string;
}

export interface ConsoleStackOptions {
  /** Name of the screenshot folder. */
  output: string;
  /** The gateway's config file, given the mock upstream's URL. */
  config: (mockUrl: string) => string | Promise<string>;
  /** Settings beyond the common ones (they win). */
  env?: Record<string, string>;
}

export async function startConsoleStack(t: TestContext, opts: ConsoleStackOptions): Promise<ConsoleStack | undefined> {
  const browser = await chromium(t);
  if (!browser) return undefined;
  const pg = await postgres(t);
  if (!pg) return undefined;
  t.after(() => pg.close());
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const idp = await startTestIssuer();
  t.after(() => idp.close());
  const gw = await startGatewayProcess({
    config: await opts.config(mock.url),
    env: {
      SKYWAY_ROLE: 'all',
      DATABASE_URL: pg.url,
      REDIS_URL: '',
      SKYWAY_LOCAL: '1',
      SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(),
      SKYWAY_ORIGIN_VERIFY_SECRET: 'ov-' + randomBytes(16).toString('hex'),
      SKYWAY_EDGE_KVS_FILE: '',
      SKYWAY_EDGE_KVS_ARN: '',
      SKYWAY_USAGE_FLUSH_MS: '100',
      SKYWAY_OIDC_ISSUER: idp.issuer,
      SKYWAY_OIDC_AUDIENCE: idp.clientId,
      ...opts.env,
    },
  });
  t.after(() => gw.stop());
  await waitForAdmin(gw);
  // The very function CloudFront runs, built from its source, in front of the gateway.
  const functionFile = join(gw.dataDir, 'viewer-request.js');
  writeFileSync(functionFile, bundleText(readFileSync(defaultSource(), 'utf8')));
  const edge = await startLocalEdge({ host: '127.0.0.1', port: 0, originUrl: gw.url, kvsFile: join(gw.dataDir, 'edge-kvs.json'), functionFile });
  t.after(() => edge.close());
  return { browser, gw, idp, edgeUrl: `http://127.0.0.1:${edge.port}`, out: testOutputDir(opts.output) };
}
