/**
 * The end-of-run properties: once the traffic stopped, the gateway is ready, holds no reservation, and nothing
 * reached its last-resort handlers (log lines are flushed about every second, so wait for them).
 */
import type { FuzzStack } from './stack.js';

/** Problems found at the end of a run (empty: all good). */
export async function finalProblems(stack: FuzzStack, settleMs = 3000): Promise<string[]> {
  const problems: string[] = [];
  if (await stack.ensureRunning()) await stack.clearReservations(); // the last case killed it (already reported)
  const held = await stack.settled(settleMs);
  if (held.leases || held.reservedMicro) problems.push(`reservations still held at the end: ${held.leases} lease(s), ${held.reservedMicro} µUSD`);
  const ready = await stack.readiness();
  if (ready !== 200) problems.push(`GET /health/readiness answered ${ready} at the end, not 200`);
  await new Promise((r) => setTimeout(r, 1200));
  const lines = stack.lastResortLines();
  if (lines.length) problems.push(`last-resort handler lines in the log:\n  ${lines.slice(0, 5).join('\n  ')}`);
  const hits = await stack.lastResortMetric();
  if (hits) problems.push(`${hits} last-resort handler hit(s) counted on /metrics`);
  return problems;
}
