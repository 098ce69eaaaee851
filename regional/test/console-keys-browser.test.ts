/**
 * The console's key pages in a real browser (Debian's chromium via puppeteer-core, one launch): a gateway playing
 * both roles on Postgres with the local edge in front. An admin edits a key's models and budget in the UI (a
 * refused save first, with its errors announced), and the edge path then refuses the model the key lost; the key's
 * page shows its requests and budget use; the keys list and the Spend page show budget use; a member signed in
 * through OIDC is refused a key whose budget exceeds what the team has left after its other keys' budgets.
 * Screenshots land in .test-output/console-keys/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startConsoleStack } from '../../test-support/console-stack.js';
import { adminOk, chat, expectOpenAiError } from '../../test-support/e2e-admin.js';
import { mockConfig } from '../../test-support/gateway.js';

/** What the functions run inside the page use of the DOM (this project type-checks tests without the DOM lib). */
interface PageElement {
  textContent: string | null;
  id: string;
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(sel: string): PageElement | null; querySelectorAll(sel: string): Iterable<PageElement> & { length: number }; activeElement: PageElement | null };

const chatFor = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 4 });

test('console key pages in a real browser: edit a key, its requests and budget use, the member budget rule', { timeout: 180_000 }, async (t) => {
  const stack = await startConsoleStack(t, {
    output: 'console-keys',
    config: (mockUrl) => mockConfig(mockUrl, ['mock-1', 'mock-2']) + 'pricing:\n  mock-1: { input: 1000, output: 2000 }\n  mock-2: { input: 1000, output: 2000 }\n',
  });
  if (!stack) return;
  const { browser, gw, idp, edgeUrl, out } = stack;

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  const shot = (name: string) => page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  const go = async (hash: string, heading: string) => {
    await page.goto('about:blank');
    await page.goto(`${gw.adminUrl}/console/#/${hash}`);
    await page.waitForFunction((h) => document.querySelector('main h1')?.textContent === h, {}, heading);
  };
  const text = (sel: string) => page.$eval(sel, (el) => el.textContent ?? '');
  const fill = async (sel: string, value: string) => {
    await page.click(sel, { count: 3 });
    await page.keyboard.press('Backspace');
    if (value) await page.type(sel, value);
  };

  // A team with both models and a key in it that may use both; two requests with it through the edge.
  const team = await adminOk<{ id: string }>(gw, 'POST', '/admin/teams', { name: 'keys-e2e', models: ['mock-1', 'mock-2'], budget: { max_usd: 10, period: 'monthly' } }, 201);
  const key = await adminOk<{ id: string; key: string }>(gw, 'POST', '/admin/keys', { alias: 'edit-me', team_id: team.id, models: ['mock-1', 'mock-2'] }, 201);
  for (let i = 0; i < 2; i++) {
    const res = await chat(edgeUrl, key.key);
    assert.equal(res.status, 200, await res.text());
  }

  await page.goto(`${gw.adminUrl}/console/`);
  await page.waitForSelector('input[name=credential]');
  await fill('input[name=credential]', gw.masterKey);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Overview');

  await t.test("the key's page: settings, no budget yet, and its requests from the request log", async () => {
    await go('keys', 'Keys');
    await page.waitForSelector(`tr[data-row="${key.id}"] a[href="#/keys/${key.id}"]`);
    await page.click(`tr[data-row="${key.id}"] a[href="#/keys/${key.id}"]`);
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Key edit-me');
    assert.equal(await text('#key-models'), 'mock-1, mock-2');
    await page.waitForSelector('section[aria-labelledby=key-budget-use] .empty');
    // The usage batchers flush every 100 ms: reload until both requests are in the log.
    for (let i = 0; ; i++) {
      await page.waitForSelector('section[aria-labelledby=key-requests] table, section[aria-labelledby=key-requests] .empty');
      const n = await page.$$eval('section[aria-labelledby=key-requests] tr[data-row]', (rows) => rows.length);
      if (n === 2) break;
      assert.ok(i < 50, `the key's page shows ${n} requests, expected 2`);
      await new Promise((r) => setTimeout(r, 200));
      await go(`keys/${key.id}`, 'Key edit-me');
    }
    const models = await page.$$eval('section[aria-labelledby=key-requests] td[data-label=Model]', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(models, ['mock-1', 'mock-1']);
  });

  await t.test('edit: a refused save lists its problems (focused, announced); a valid one changes models and budget', async () => {
    await page.click('#edit-key-open');
    await page.waitForSelector('form.edit-key');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'edit-alias', 'the form opens with the focus on its first field');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.activeElement?.id === 'edit-key-open');
    await page.keyboard.press('Enter');
    await page.waitForSelector('form.edit-key');
    await fill('#edit-budget\\.max_usd', '-1');
    await page.click('#add-model-limit');
    await fill('#edit-model_limits\\.0\\.model', 'mock-3');
    await fill('#edit-limits\\.rpm', '1.5');
    await page.click('form.edit-key button[type=submit]');
    await page.waitForSelector('#edit-errors');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'edit-errors', 'focus moves to the list of problems');
    assert.equal(await page.$eval('#edit-errors', (el) => el.getAttribute('role')), 'alert');
    const listed = await page.$$eval('#edit-errors li', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.equal(listed.length, 4, listed.join(' | '));
    assert.equal(await page.$eval('#edit-budget\\.max_usd', (el) => el.getAttribute('aria-invalid')), 'true');
    assert.equal(await page.$eval('#edit-budget\\.max_usd', (el) => el.getAttribute('aria-describedby')), 'budget.max_usd-hint budget.max_usd-error');
    await shot('key-edit-errors');

    // Fix it, by keyboard where it matters: remove the per-model row, models = mock-2 only, a $2 monthly budget.
    await page.click('form.edit-key button[aria-label^="Remove the per-model limit"]');
    await fill('#edit-limits\\.rpm', '');
    await fill('#edit-models', 'mock-2');
    await fill('#edit-budget\\.max_usd', '2');
    await page.select('#edit-budget\\.period', 'monthly');
    await page.focus('form.edit-key button[type=submit]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#key-saved');
    await page.waitForFunction(() => document.querySelector('#key-models')?.textContent === 'mock-2');
    assert.equal(await text('#key-budget'), '$2.00 monthly');
    // The audit log names the change field by field.
    await go('audit', 'Audit log');
    await page.waitForFunction(() => [...document.querySelectorAll('td')].some((td) => td.textContent === 'key.update'));
    const change = await page.$eval('tr[data-row] .diff', (el) => el.textContent ?? '');
    assert.match(change, /allowed_models: \["mock-1","mock-2"\] → \["mock-2"\]/);
    assert.match(change, /budget_max_usd: null → "2\.000000"/);
    assert.doesNotMatch(change, /key_hash/);
  });

  await t.test('the edge path refuses the model the key no longer has, and still serves the one it kept', async () => {
    await expectOpenAiError(await chat(edgeUrl, key.key, chatFor('mock-1')), 403, 'model_not_allowed');
    const ok = await chat(edgeUrl, key.key, chatFor('mock-2'));
    assert.equal(ok.status, 200, await ok.text());
  });

  await t.test("budget use on the key's page and in the keys list, with the reset date", async () => {
    const now = new Date();
    const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
    // Spend of this month's three requests (two before the budget was set: they count, the period is the month).
    let use = '';
    for (let i = 0; ; i++) {
      await go(`keys/${key.id}`, 'Key edit-me');
      await page.waitForSelector(`#key-budget-use-text .budget-meter[data-budget-id="${key.id}"]`);
      use = await text('#key-budget-use-text .budget-text');
      const requests = await page.$$eval('section[aria-labelledby=key-requests] td[data-label=Status]', (tds) => tds.filter((td) => td.textContent === '200').length);
      if (requests === 3 && !use.startsWith('$0 ')) break; // two mock-1 before the edit, one mock-2 after
      assert.ok(i < 50, `budget use '${use}', ${requests} requests`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(use, new RegExp(`^\\$0\\.\\d+ of \\$2\\.00 this month · resets ${reset}$`));
    const models = await page.$$eval('section[aria-labelledby=key-requests] tr[data-row]', (rows) => rows.map((r) => r.textContent ?? ''));
    assert.ok(models[0]!.includes('mock-2'), 'newest first: the mock-2 request after the edit');
    await page.waitForSelector('.chart');
    await shot('key-page');
    await page.setViewport({ width: 390, height: 844 });
    await go(`keys/${key.id}`, 'Key edit-me');
    await page.waitForSelector('#key-budget-use-text .budget-meter');
    await shot('key-page-phone');
    await page.setViewport({ width: 1280, height: 900 });

    await go('keys', 'Keys');
    await page.waitForSelector(`tr[data-row="${key.id}"] td[data-label="Budget use"] .budget-meter`);
    assert.match(await text(`tr[data-row="${key.id}"] td[data-label="Budget use"] .budget-text`), /of \$2\.00 this month · resets /);
    await shot('keys-budget');
  });

  await t.test('a member is refused a key whose budget exceeds what the team has left after its other keys', async () => {
    const selfService = await adminOk<{ id: string }>(gw, 'POST', '/admin/teams', { name: 'self-service', models: ['mock-1'], budget: { max_usd: 1, period: 'monthly' } }, 201);
    await adminOk(gw, 'POST', '/admin/users', { email: 'dev@example.test', team_id: selfService.id }, 201);
    // The team lead's key already holds $0.70 of the team's $1.
    await adminOk(gw, 'POST', '/admin/keys', { alias: 'lead-key', team_id: selfService.id, budget: { max_usd: 0.7, period: 'monthly' } }, 201);

    idp.signInAs('dev@example.test');
    const context = await browser.createBrowserContext();
    const mp = await context.newPage();
    mp.on('pageerror', (err) => problems.push(String(err)));
    await mp.goto(`${gw.adminUrl}/console/`);
    await mp.waitForSelector('a[href="/admin/session/oidc/start"]');
    await Promise.all([mp.waitForNavigation(), mp.click('a[href="/admin/session/oidc/start"]')]);
    await mp.waitForFunction(() => document.querySelector('main h1')?.textContent === 'My keys');
    await mp.waitForSelector('#team-available');
    assert.match(await mp.$eval('#team-left', (el) => el.textContent ?? ''), /^\$1\.00 left of \$1\.00/);
    assert.match(await mp.$eval('#team-available', (el) => el.textContent ?? ''), /1 active key with a budget may still spend \$0\.7 of it: a new key can have at most \$0\.3\./);

    await mp.type('input[name=alias]', 'too-big');
    await mp.type('input[name=budget_usd]', '0.5');
    await mp.keyboard.press('Enter');
    await mp.waitForSelector('[role=alert]');
    assert.match(await mp.$eval('[role=alert]', (el) => el.textContent ?? ''), /exceeds what the team has left this period after its other keys' budgets: \$0\.30/);
    assert.equal(await mp.$eval('input[name=budget_usd]', (el) => el.getAttribute('aria-invalid')), 'true', 'the refused field is marked for screen readers');
    await mp.screenshot({ path: join(out, 'member-refused.png'), fullPage: true });

    await mp.click('input[name=budget_usd]', { count: 3 });
    await mp.type('input[name=budget_usd]', '0.3');
    await mp.keyboard.press('Enter');
    await mp.waitForSelector('#new-key-secret');
    await mp.waitForFunction(() => document.querySelectorAll('tr[data-row]').length === 1);
    await mp.waitForSelector('tr[data-row] td[data-label="Budget use"] .budget-meter');
    assert.match(await mp.$eval('tr[data-row] td[data-label="Budget use"] .budget-text', (el) => el.textContent ?? ''), /^\$0 of \$0\.3 this month · resets /);
    await mp.screenshot({ path: join(out, 'member-keys.png'), fullPage: true });
    await context.close();

    // The Spend page shows both teams' budget use with the reset date.
    await go('spend', 'Spend');
    await page.waitForSelector(`li[data-team="${selfService.id}"] .budget-meter`);
    assert.match(await text(`li[data-team="${selfService.id}"] .budget-text`), /^\$0 of \$1\.00 this month · resets \d{4}-\d\d-01$/);
    await page.waitForSelector(`li[data-team="${team.id}"] .budget-meter`);
    await shot('spend-budgets');
  });

  assert.deepEqual(problems, [], 'no script errors in the page');
});
