import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withShareablePort } from './shared-port.js';

test('PORT=0 becomes a concrete free port only when several loops must share it', async () => {
  const shared = await withShareablePort({ PORT: '0', HOST: '127.0.0.1' }, 2);
  assert.match(shared.PORT ?? '', /^[1-9][0-9]*$/);
  assert.deepEqual(await withShareablePort({ PORT: '0' }, 1), { PORT: '0' });
  assert.deepEqual(await withShareablePort({ PORT: '4000' }, 4), { PORT: '4000' });
});
