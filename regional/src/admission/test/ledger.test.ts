/** Budget period ids (plan.ts) map to the UTC day ranges the ledger is summed over. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { periodDays } from '../ledger.js';
import { budgetPeriod } from '../plan.js';

test('each budget period id covers exactly its UTC days', () => {
  const at = Date.UTC(2026, 10, 30, 23, 59); // Monday 30 November 2026
  assert.deepEqual(periodDays(budgetPeriod('daily', at).id), { from: '2026-11-30', to: '2026-12-01' });
  assert.deepEqual(periodDays(budgetPeriod('weekly', at).id), { from: '2026-11-30', to: '2026-12-07' });
  assert.deepEqual(periodDays(budgetPeriod('weekly', Date.UTC(2026, 11, 6)).id), { from: '2026-11-30', to: '2026-12-07' });
  assert.deepEqual(periodDays(budgetPeriod('monthly', Date.UTC(2026, 11, 31)).id), { from: '2026-12-01', to: '2027-01-01' });
  assert.deepEqual(periodDays(budgetPeriod('none', at).id), {});
  assert.throws(() => periodDays('x2026'), /unknown budget period/);
});
