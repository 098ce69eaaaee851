/**
 * The admin console end to end in a real browser (Debian's chromium via puppeteer-core): a gateway process
 * playing both roles on Postgres, the local edge in front of it, and the console served by its admin listener.
 * Sign in with the master key, create a team and a key, send requests with the key through the edge, find them
 * on the requests page and as points in the spend chart, revoke the key and see the edge refuse it.
 * Screenshots of every page land in .test-output/console/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { startConsoleStack } from '../../test-support/console-stack.js';
import { adminOk, chat, expectOpenAiError, firstRejection } from '../../test-support/e2e-admin.js';
import { mockConfig } from '../../test-support/gateway.js';

/** What the functions run inside the page use of the DOM (this project type-checks tests without the DOM lib). */
interface PageElement {
  textContent: string | null;
  value: string;
  options: PageElement[];
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(sel: string): PageElement | null; querySelectorAll(sel: string): Iterable<PageElement>; cookie: string };

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('console in a real browser: sign in, team and key, traffic through the edge, requests, spend chart, revoke', { timeout: 90_000 }, async (t) => {
  const stack = await startConsoleStack(t, {
    output: 'console',
    // Priced (USD per million tokens), so that keys with a budget may use it and the spend chart has values.
    config: (mockUrl) => mockConfig(mockUrl) + 'pricing:\n  mock-1: { input: 1000, output: 2000 }\n',
  });
  if (!stack) return;
  const { browser, gw, idp, edgeUrl, out } = stack;

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  const shot = (name: string) => page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  const go = async (hash: string, heading: string) => {
    // A full load each time (a hash-only change to the current URL would not reload the data).
    await page.goto('about:blank');
    await page.goto(`${gw.adminUrl}/console/#/${hash}`);
    await page.waitForFunction((h) => document.querySelector('main h1')?.textContent === h, {}, heading);
  };
  const text = (sel: string) => page.$eval(sel, (el) => el.textContent ?? '');
  const fill = async (sel: string, value: string) => {
    await page.click(sel, { count: 3 });
    await page.type(sel, value);
  };

  await t.test('sign in with the master key; the session cookie is HttpOnly and SameSite=Strict', async () => {
    await page.goto(`${gw.adminUrl}/console/`);
    await page.waitForSelector('input[name=credential]');
    await shot('sign-in');
    await fill('input[name=credential]', 'not-the-key');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[role=alert]');
    assert.match(await text('[role=alert]'), /Invalid admin credentials/);
    await fill('input[name=credential]', gw.masterKey);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Overview');
    const cookies = await page.cookies();
    const session = cookies.find((c) => c.name === 'skyway_console')!;
    assert.ok(session, 'session cookie set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the page script cannot read the session');
  });

  let keyId = '';
  let secret = '';
  await t.test('create a team, then a key in it; the secret is shown once', async () => {
    await go('teams', 'Teams and users');
    await page.waitForSelector('.empty');
    await fill('input[name=team-name]', 'console-e2e');
    await fill('input[name=team-models]', 'mock-1');
    await fill('input[name=team-budget]', '25');
    await page.click('form button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll('td')].some((td) => td.textContent === 'console-e2e'));
    await shot('teams');
    // The member of the OIDC step below is added here, as an administrator would.
    const selfService = await adminOk<{ id: string }>(gw, 'POST', '/admin/teams', { name: 'self-service', models: ['mock-1'], budget: { max_usd: 1, period: 'monthly' } }, 201);
    await go('teams', 'Teams and users');
    await page.waitForSelector('select[name=user-team]');
    await fill('input[name=user-email]', 'dev@example.test');
    await page.select('select[name=user-team]', selfService.id);
    await page.click('section[aria-labelledby=users] button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll('td')].some((td) => td.textContent === 'dev@example.test'));
    assert.equal(await page.$eval('tr[data-row^="user_"] td[data-label=Team]', (td) => td.textContent), 'self-service');

    await go('keys', 'Keys');
    await page.waitForFunction(() => [...document.querySelectorAll('select[name=team] option')].some((o) => o.textContent === 'console-e2e'));
    const teamValue = await page.$eval('select[name=team]', (s) => [...(s as unknown as PageElement).options].find((o) => o.textContent === 'console-e2e')!.value);
    await page.select('select[name=team]', teamValue);
    await fill('input[name=alias]', 'browser-key');
    await page.click('section[aria-labelledby=create-key] button[type=submit]');
    await page.waitForSelector('#new-key-secret');
    secret = await text('#new-key-secret');
    assert.match(secret, /^sk-sky-/);
    await page.waitForSelector('tr[data-row] .badge.active');
    keyId = await page.$eval('tr[data-row]', (tr) => tr.getAttribute('data-row')!);
    assert.match(teamValue, /^team_/);
    await page.waitForFunction(() => document.querySelector('tr[data-row] td[data-label=Team]')?.textContent === 'console-e2e');
    await shot('keys');
  });

  await t.test('requests with the key through the edge show on the requests page and in the spend chart', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await chat(edgeUrl, secret);
      assert.equal(res.status, 200, await res.text());
    }
    // The usage batchers flush every 100 ms: wait until the page shows all three.
    await go('requests', 'Requests');
    await fill('input[name=key_id]', keyId);
    await page.keyboard.press('Tab');
    await until('three rows on the requests page', async () => {
      const n = await page.$$eval('tr[data-row]', (rows) => rows.length);
      if (n === 3) return n;
      await page.reload();
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Requests');
      await fill('input[name=key_id]', keyId);
      await page.keyboard.press('Tab');
      await new Promise((r) => setTimeout(r, 300));
      return undefined;
    });
    const statuses = await page.$$eval('tr[data-row] td[data-label=Status]', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(statuses, ['200', '200', '200']);
    await shot('requests');

    await go('spend', 'Spend');
    await page.select('select[name=group_by]', 'key');
    // Changing the grouping reloads the series: the chart and the table re-render, so read them once settled
    // (and spend_daily may land a moment after the request log the previous page read).
    const points = await until('the spend chart and the key row after regrouping', async () => {
      const p = await page.$eval('.chart', (el) => Number(el.getAttribute('data-points'))).catch(() => undefined);
      const requests = await page.$eval(`tr[data-row="${keyId}"] td[data-label=Requests]`, (td) => td.textContent).catch(() => undefined);
      if (p !== undefined && p >= 1 && requests === '3') return p;
      await new Promise((r) => setTimeout(r, 200));
      return undefined;
    });
    assert.ok(points >= 1, 'the chart has a point for today');
    await shot('spend');

    await go('overview', 'Overview');
    await page.waitForSelector('.tiles');
    assert.equal(await page.$eval('.tiles div:first-child dd', (dd) => dd.textContent), '3');
    await shot('overview');
    await go('deployments', 'Deployments');
    await page.waitForSelector('.empty, table');
    await shot('deployments');
  });

  await t.test('revoke the key with a reason; the edge refuses it', async () => {
    await go('keys', 'Keys');
    await page.waitForSelector('button[aria-label="Revoke browser-key"]');
    await page.click('button[aria-label="Revoke browser-key"]');
    await page.type('input[name=reason]', 'console e2e');
    await page.click('button.danger[type=submit]');
    await page.waitForSelector(`tr[data-row="${keyId}"] .badge.revoked`);
    const last = await firstRejection(edgeUrl, secret, Date.now() + 5000, 'the edge after a revocation from the console');
    await expectOpenAiError(last, 401, 'api_key_revoked');
    await go('audit', 'Audit log');
    await page.waitForFunction(() => [...document.querySelectorAll('td')].some((td) => td.textContent === 'key.revoke'));
    await shot('audit');
    // Readable on a phone: the key list stacks into labelled cards.
    await page.setViewport({ width: 390, height: 844 });
    await go('keys', 'Keys');
    await page.waitForSelector('tr[data-row]');
    await shot('keys-phone');
  });

  await t.test('rotate a key: the new secret is shown once and works through the edge', async () => {
    await adminOk(gw, 'POST', '/admin/keys', { alias: 'rotate-me' }, 201);
    await go('keys', 'Keys');
    await page.waitForSelector('button[aria-label="Rotate rotate-me"]');
    await page.click('button[aria-label="Rotate rotate-me"]');
    await page.select('select[name=grace]', '3600');
    await page.click('td button[type=submit]');
    await page.waitForSelector('td .secret code');
    const rotated = await page.$eval('td .secret code', (el) => el.textContent ?? '');
    const res = await chat(edgeUrl, rotated);
    assert.equal(res.status, 200, await res.text());
  });

  await t.test('a member signs in through OIDC (code + PKCE), creates a key within the team budget and is refused one above it', async () => {
    idp.signInAs('dev@example.test');
    const context = await browser.createBrowserContext();
    const mp = await context.newPage();
    mp.on('pageerror', (err) => problems.push(String(err)));
    await mp.goto(`${gw.adminUrl}/console/`);
    await mp.waitForSelector('a[href="/admin/session/oidc/start"]');
    await Promise.all([mp.waitForNavigation(), mp.click('a[href="/admin/session/oidc/start"]')]);
    await mp.waitForFunction(() => document.querySelector('main h1')?.textContent === 'My keys');
    assert.equal(await mp.$eval('.who', (el) => el.textContent?.includes('dev@example.test (member)')), true);
    await mp.waitForSelector('#team-left');
    assert.match(await mp.$eval('#team-left', (el) => el.textContent ?? ''), /^\$1\.00 left of \$1\.00/);
    // Members see only their own team: the admin pages are not there, and the admin API refuses them.
    assert.equal(await mp.$$eval('header nav a', (as) => as.length), 1);

    await mp.type('input[name=alias]', 'mine');
    await mp.type('input[name=budget_usd]', '0.5');
    await mp.click('form button[type=submit]');
    await mp.waitForSelector('#new-key-secret');
    const mine = await mp.$eval('#new-key-secret', (el) => el.textContent ?? '');
    const res = await chat(edgeUrl, mine);
    assert.equal(res.status, 200, await res.text());

    await mp.click('input[name=alias]', { count: 3 });
    await mp.type('input[name=alias]', 'too-big');
    await mp.click('input[name=budget_usd]', { count: 3 });
    await mp.type('input[name=budget_usd]', '5');
    await mp.click('form button[type=submit]');
    await mp.waitForSelector('[role=alert]');
    assert.match(await mp.$eval('[role=alert]', (el) => el.textContent ?? ''), /exceeds what the team has left/);
    await mp.waitForFunction(() => [...document.querySelectorAll('tr[data-row]')].length === 1);
    await mp.screenshot({ path: join(out, 'member.png'), fullPage: true });
    assert.deepEqual(idp.refusals, [], 'every token request carried the right PKCE verifier');
    await context.close();
  });

  assert.deepEqual(problems, [], 'no script errors in the page');
});
