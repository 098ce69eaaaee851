/**
 * The console's request views in a real browser (Debian's chromium via puppeteer-core), against the local
 * stack: a gateway playing both roles on Postgres, the local edge in front of it. Requests through the edge,
 * one of them falling back from a deployment that refuses connections to another model; its detail page shows
 * both attempts, the latency breakdown and (the key archives payloads) its prompt. The overview's charts have
 * points. A `viewer` signed in through the local OIDC issuer sees the pages without create, edit or revoke
 * controls, and the admin API refuses its writes. Screenshots land in .test-output/console-requests/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startConsoleStack } from '../../test-support/console-stack.js';
import { adminOk, chat } from '../../test-support/e2e-admin.js';
import { freePort } from '../../test-support/free-port.js';

/** What the functions run inside the page use of the DOM (tests type-check without the DOM lib). */
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(sel: string): PageElement | null; querySelectorAll(sel: string): Iterable<PageElement> };

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('console request views in a real browser: a fallback request in detail, overview charts, a read-only viewer', { timeout: 120_000 }, async (t) => {
  const stack = await startConsoleStack(t, {
    output: 'console-requests',
    config: async (mockUrl) => {
      // Nothing listens here: every attempt on `flaky-a` is refused, and `flaky` falls back to mock-1.
      const deadPort = await freePort();
      return (
        'router:\n  retry: { max_attempts: 3, same_deployment_retries: 0, base_delay_ms: 1, max_delay_ms: 2 }\n' +
        'models:\n' +
        `  - name: mock-1\n    deployments:\n      - { id: mock-a, provider: openai, model: mock-1, api_base: "${mockUrl}/v1" }\n` +
        `  - name: flaky\n    fallbacks: [mock-1]\n    deployments:\n      - { id: flaky-a, provider: openai, model: mock-1, api_base: "http://127.0.0.1:${deadPort}/v1" }\n` +
        'pricing:\n  mock-1: { input: 1000, output: 2000 }\n'
      );
    },
    env: { SKYWAY_S3_BUCKET: '' },
  });
  if (!stack) return;
  const { browser, gw, idp, edgeUrl, out } = stack;

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  const shot = (p: typeof page, name: string) => p.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  const go = async (p: typeof page, hash: string, heading: string) => {
    await p.goto('about:blank');
    await p.goto(`${gw.adminUrl}/console/#/${hash}`);
    await p.waitForFunction((h) => document.querySelector('main h1')?.textContent === h, {}, heading);
  };

  // A key that archives payloads, so its prompts show in the detail view.
  const key = await adminOk<{ id: string; key: string }>(gw, 'POST', '/admin/keys', { alias: 'requests-e2e', archive_payloads: true }, 201);
  let fallbackId = '';
  await t.test('traffic through the edge, one request falling back to another model', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await chat(edgeUrl, key.key);
      assert.equal(res.status, 200, await res.text());
    }
    const res = await chat(edgeUrl, key.key, JSON.stringify({ model: 'flaky', messages: [{ role: 'user', content: 'route me please' }], max_tokens: 4 }));
    assert.equal(res.status, 200, await res.text());
    assert.equal(res.headers.get('x-skyway-fallback-model'), 'mock-1');
    assert.equal(res.headers.get('x-skyway-attempts'), '2');
    fallbackId = res.headers.get('x-skyway-request-id') ?? '';
    assert.ok(fallbackId, 'the request id header');
  });

  await t.test('sign in; the requests page lists the fallback request and its detail shows both attempts and the prompt', async () => {
    await page.goto(`${gw.adminUrl}/console/`);
    await page.waitForSelector('input[name=credential]');
    await page.type('input[name=credential]', gw.masterKey);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Overview');

    // The usage batchers flush every 100 ms: reload until the request log has it.
    await until('the fallback request on the requests page', async () => {
      await go(page, 'requests', 'Requests');
      await page.type('input[name=model]', 'flaky');
      await page.keyboard.press('Tab');
      await page.waitForSelector('tr[data-row], .empty');
      return (await page.$(`tr[data-row="${fallbackId}"]`)) ? true : undefined;
    });
    await shot(page, 'requests');
    // Keyboard: the row's link is reachable and opens the detail.
    await page.focus(`tr[data-row="${fallbackId}"] a`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Request');
    await page.waitForSelector('#attempts');
    const attempts = await page.$$eval('tr[data-row] td[data-label=Deployment]', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(attempts, ['flaky-a', 'mock-a']);
    const results = await page.$$eval('tr[data-row] td[data-label=Result]', (tds) => tds.map((td) => td.textContent));
    assert.match(results[0]!, /^no response upstream_/);
    assert.equal(results[1], '200');
    assert.equal(await page.$eval('[data-field=fallback]', (el) => el.textContent), 'mock-1');
    assert.equal(await page.$eval('[data-field=status]', (el) => el.textContent), '200');
    assert.equal(await page.$eval('[data-field=region]', (el) => el.textContent), 'local');
    assert.ok(Number(await page.$eval('[data-token=prompt]', (el) => el.textContent)) > 0);
    // The archive is written in batches: reload until the prompt is there.
    await until('the archived prompt', async () => {
      if (await page.$('pre.payload')) return true;
      await page.reload();
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Request');
      await page.waitForSelector('#payload');
      return undefined;
    });
    const archivedRequest = await page.$eval('pre.payload', (el) => el.textContent ?? '');
    assert.match(archivedRequest, /route me please/);
    assert.match(archivedRequest, /"model": "flaky"/, 'the request as the client sent it, not as the fallback rewrote it');
    await shot(page, 'request-detail');
    await page.setViewport({ width: 390, height: 844 });
    await page.reload();
    await page.waitForSelector('#attempts');
    await shot(page, 'request-detail-phone');
    await page.setViewport({ width: 1280, height: 900 });
    // An empty result says so.
    await go(page, 'requests', 'Requests');
    await page.type('input[name=model]', 'no-such-model');
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => document.querySelector('.empty')?.textContent?.startsWith('No requests match') === true);
  });

  await t.test('the overview charts have points for the period', async () => {
    await go(page, 'overview', 'Overview');
    await page.waitForSelector('[data-chart=requests] .chart');
    const points = await page.$eval('[data-chart=requests] .chart', (el) => Number(el.getAttribute('data-points')));
    assert.ok(points >= 1, `points in the requests chart: ${points}`);
    for (const name of ['errors', 'latency', 'tokens', 'spend']) assert.ok(await page.$(`[data-chart=${name}] canvas`), `${name} chart drawn`);
    assert.ok(Number(await page.$eval('[data-chart=latency] .chart', (el) => el.getAttribute('data-points'))) >= 1);
    await page.select('select[name=chart_group_by]', 'team');
    await page.waitForFunction(() => document.querySelector('[data-chart=tokens] figcaption')?.textContent?.endsWith('by team') === true);
    await page.select('select[name=chart_group_by]', 'model');
    await page.waitForSelector('[data-chart=tokens] canvas');
    await shot(page, 'overview');
  });

  await t.test('a viewer sees the pages but no create, edit or revoke controls, and the API refuses its writes', async () => {
    idp.signInAs('viewer@example.test', { roles: ['viewer'] });
    const context = await browser.createBrowserContext();
    const vp = await context.newPage();
    vp.on('pageerror', (err) => problems.push(String(err)));
    await vp.goto(`${gw.adminUrl}/console/`);
    await vp.waitForSelector('a[href="/admin/session/oidc/start"]');
    await Promise.all([vp.waitForNavigation(), vp.click('a[href="/admin/session/oidc/start"]')]);
    await vp.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Overview');
    assert.equal(await vp.$eval('.who', (el) => el.textContent?.includes('viewer@example.test (viewer)')), true);

    await go(vp, 'keys', 'Keys');
    await vp.waitForSelector(`tr[data-row="${key.id}"]`);
    assert.equal(await vp.$('section[aria-labelledby=create-key]'), null, 'no create form');
    assert.equal(await vp.$('button[aria-label^="Revoke"]'), null, 'no revoke button');
    assert.equal(await vp.$('button[aria-label^="Rotate"]'), null, 'no rotate button');
    await shot(vp, 'viewer-keys');
    await go(vp, 'teams', 'Teams and users');
    await vp.waitForSelector('table, .empty');
    assert.equal(await vp.$('input[name=team-name]'), null, 'no team form');
    await go(vp, 'deployments', 'Deployments');
    await vp.waitForSelector('table, .empty');
    assert.equal(await vp.$('main form button[type=submit]'), null, 'no deployment form');
    // The detail view works for a viewer, without the archived bodies.
    await vp.goto('about:blank');
    await vp.goto(`${gw.adminUrl}/console/#/requests/${encodeURIComponent(fallbackId)}`);
    await vp.waitForSelector('[data-payload-state=hidden]');

    // The API itself refuses the viewer's writes, with the session's valid CSRF token.
    const statuses = await vp.evaluate(async (keyId: string) => {
      const s = (await (await fetch('/admin/session')).json()) as { csrf_token: string };
      const h = { 'content-type': 'application/json', 'x-skyway-csrf': s.csrf_token };
      const write = async (method: string, path: string, body: unknown) => {
        const r = await fetch(path, { method, headers: h, body: JSON.stringify(body) });
        return [r.status, ((await r.json()) as { error?: { code?: string } }).error?.code ?? ''] as const;
      };
      return [
        await write('POST', '/admin/teams', { name: 'viewer-team' }),
        await write('POST', '/admin/keys', { alias: 'viewer-key' }),
        await write('POST', `/admin/keys/${keyId}/revoke`, { reason: 'viewer' }),
        [(await fetch('/admin/keys', { headers: h })).status, ''] as const,
      ];
    }, key.id);
    assert.deepEqual(statuses, [[403, 'admin_role_required'], [403, 'admin_role_required'], [403, 'admin_role_required'], [200, '']]);
    await context.close();
  });

  assert.deepEqual(problems, [], 'no script errors in the page');
});
