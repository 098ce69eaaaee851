import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LineBuffer } from './line-buffer.js';

test('line buffer: every line reaches the file in order, in chunks; flushSync writes the rest; the cap drops and counts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-lines-'));
  try {
    const file = join(dir, 'log');
    const fd = openSync(file, 'w');
    const out = new LineBuffer(fd, { chunkBytes: 1000, maxBufferedBytes: 1_000_000 });
    const lines = Array.from({ length: 2000 }, (_, i) => `{"n":${i},"text":"héllo"}\n`);
    for (const l of lines) out.write(l);
    await new Promise((r) => setTimeout(r, 50));
    out.flushSync();
    closeSync(fd);
    assert.equal(readFileSync(file, 'utf8'), lines.join(''));

    const capped = new LineBuffer(openSync(join(dir, 'capped'), 'w'), { chunkBytes: 1 << 30, maxBufferedBytes: 100 });
    for (let i = 0; i < 10; i++) capped.write('0123456789012345678901234567890123456789\n');
    assert.equal(capped.dropped, 7, 'lines past the cap are dropped and counted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
