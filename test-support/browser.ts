/**
 * A real headless browser for the console tests: Debian's `chromium` (apt-get install chromium) driven by
 * puppeteer-core, which downloads no browser of its own. Without the executable the test is skipped loudly
 * (failed under SKYWAY_REQUIRE_SERVICES=1, as .ci/run sets).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import puppeteer, { type Browser } from 'puppeteer-core';
import { repoRoot } from './paths.js';
import { missingService } from './services.js';

const CANDIDATES = [process.env.SKYWAY_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);

export const CHROMIUM_FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** Launch chromium (closed after the test), or undefined when there is none. */
export async function chromium(t: TestContext): Promise<Browser | undefined> {
  const executablePath = CANDIDATES.find((p) => existsSync(p));
  if (!executablePath) {
    missingService(t, 'chromium is not installed (apt-get install -y chromium); set SKYWAY_CHROMIUM to another executable');
    return undefined;
  }
  const browser = await puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS, defaultViewport: { width: 1280, height: 900 } });
  t.after(() => browser.close());
  return browser;
}

/** `<repo>/.test-output/<name>/` (gitignored), created. */
export function testOutputDir(name: string): string {
  const dir = join(repoRoot(), '.test-output', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
