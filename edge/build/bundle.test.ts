import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ViewerRequestFunction } from '../local/function-runner.js';
import { bundle, bundleText, defaultOutFile, defaultSource, FUNCTION_SIZE_LIMIT, minify } from './bundle.js';
import { ENV } from '../../shared/contract/index.js';
import { GATEWAY_MAX_HEADER_LINES, HEADER_LINES_ADDED, MAX_VIEWER_HEADER_LINES } from '../../shared/contract/headers.js';
import { MEDIA_UPLOAD_PATHS } from '../../infra/lib/constructs/skyway-web-acl.js';

test('the built artifact is under the CloudFront 10 KB limit', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { outFile, bytes } = bundle({ outFile: join(dir, 'viewer-request.js') });
  assert.equal(statSync(outFile).size, bytes);
  assert.ok(bytes < FUNCTION_SIZE_LIMIT, `${bytes} bytes`);
  // The artifact `npm run build` wrote, when there is one.
  if (existsSync(defaultOutFile())) assert.ok(statSync(defaultOutFile()).size < FUNCTION_SIZE_LIMIT);
});

test('the artifact keeps the cloudfront import on its first line and defines handler', () => {
  const text = bundleText(readFileSync(defaultSource(), 'utf8'));
  assert.match(text.split('\n')[0]!, /^import cf from 'cloudfront';$/);
  assert.doesNotThrow(() => new ViewerRequestFunction(text));
  assert.ok(!/^\s*\/\//m.test(text), 'whole-line comments are stripped');
});

test('the body limit is a build option', async () => {
  const text = bundleText(readFileSync(defaultSource(), 'utf8'), { maxBodyBytes: 1000 });
  assert.match(text, /^const MAX_BODY = 1000;$/m);
  const fn = new ViewerRequestFunction(text);
  const out = await fn.run(
    {
      version: '1.0',
      context: { distributionDomainName: 'd', distributionId: 'd', eventType: 'viewer-request', requestId: 'r' },
      viewer: { ip: '127.0.0.1' },
      request: { method: 'POST', uri: '/v1/embeddings', querystring: {}, headers: { 'content-length': { value: '1001' } }, cookies: {} },
    },
    {},
  );
  assert.equal(out.response?.statusCode, 413);
  assert.throws(() => bundleText('const x = 1;\n', { maxBodyBytes: 5 }), /MAX_BODY/);
});

test('minify drops only whole-line comments and indentation', () => {
  assert.equal(minify("  // c\n  const a = 'http://x'; \n\n  /x\\/\\//.test(a);\n"), "const a = 'http://x';\n/x\\/\\//.test(a);\n");
  assert.throws(() => bundleText('x'.repeat(FUNCTION_SIZE_LIMIT)), /limit/);
});

test('the build refuses a function that uses an x-skyway-* header outside shared/contract', () => {
  const source = readFileSync(defaultSource(), 'utf8');
  assert.doesNotThrow(() => bundleText(source));
  assert.throws(() => bundleText(source.replace("'x-skyway-edge'", "'x-skyway-edge-typo'")), /x-skyway-edge-typo/);
});

test('upload paths and cap agree with the gateway (env contract) and the WAF (one list)', () => {
  const source = readFileSync(defaultSource(), 'utf8');
  assert.equal(/^const MAX_UPLOAD = (\d+);$/m.exec(source)?.[1], ENV.SKYWAY_MEDIA_MAX_UPLOAD_BYTES.default);
  assert.equal(/^const MAX_BODY = (\d+);$/m.exec(source)?.[1], ENV.SKYWAY_MAX_BODY_BYTES.default);
  const uploads = /^const UPLOADS = (\{.*\});$/m.exec(source)?.[1];
  const paths = Object.keys(JSON.parse(uploads!.replace(/'/g, '"')) as Record<string, number>).map((p) => `/v1/${p}`);
  assert.deepEqual(paths.sort(), [...MEDIA_UPLOAD_PATHS].sort());
  assert.match(bundleText(source, { maxUploadBytes: 1000 }), /^const MAX_UPLOAD = 1000;$/m);
});

test('the header-line limit is the one shared/contract/headers.ts derives from the gateway limit and the hops', () => {
  const source = readFileSync(defaultSource(), 'utf8');
  assert.equal(Number(/^const MAX_HEADERS = (\d+);$/m.exec(source)?.[1]), MAX_VIEWER_HEADER_LINES);
  const added = HEADER_LINES_ADDED.edge + HEADER_LINES_ADDED.cloudfront + HEADER_LINES_ADDED.alb + HEADER_LINES_ADDED.margin;
  assert.equal(MAX_VIEWER_HEADER_LINES + added, GATEWAY_MAX_HEADER_LINES);
  assert.equal(MAX_VIEWER_HEADER_LINES, 38);
});
