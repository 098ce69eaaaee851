import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ThreadsSettingError, threadCount } from './count.js';

test('SKYWAY_THREADS: default is the cores this process may use; explicit values are checked', () => {
  assert.equal(threadCount({}), availableParallelism());
  assert.equal(threadCount({ SKYWAY_THREADS: '' }), availableParallelism());
  assert.equal(threadCount({ SKYWAY_THREADS: '3' }), 3);
  for (const bad of ['0', '-1', '1.5', 'two', '1000']) assert.throws(() => threadCount({ SKYWAY_THREADS: bad }), ThreadsSettingError, bad);
});
