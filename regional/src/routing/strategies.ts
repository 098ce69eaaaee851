/** Choosing one deployment among the eligible ones. */
import type { DeploymentStats } from './deployment-stats.js';
import type { RouteTarget, Strategy } from './types.js';

export interface Candidate {
  target: RouteTarget;
  stats: DeploymentStats;
}

function weighted(c: readonly Candidate[], random: () => number): Candidate {
  const total = c.reduce((s, x) => s + Math.max(0, x.target.deployment.weight), 0);
  if (total <= 0) return c[Math.floor(random() * c.length)]!;
  let r = random() * total;
  for (const x of c) {
    r -= Math.max(0, x.target.deployment.weight);
    if (r < 0) return x;
  }
  return c[c.length - 1]!;
}

/** The candidates with the smallest score, one of them at random (so ties spread the load). */
function minBy(c: readonly Candidate[], score: (x: Candidate) => number, random: () => number): Candidate {
  let best: Candidate[] = [];
  let min = Infinity;
  for (const x of c) {
    const s = score(x);
    if (s < min) {
      min = s;
      best = [x];
    } else if (s === min) best.push(x);
  }
  return best[Math.floor(random() * best.length)]!;
}

export function choose(strategy: Strategy, c: readonly Candidate[], random: () => number): Candidate {
  if (c.length === 1) return c[0]!;
  switch (strategy) {
    case 'least-busy':
      return minBy(c, (x) => x.stats.inFlight, random);
    case 'lowest-latency':
      // Unmeasured deployments score 0, so each gets traffic and a measurement.
      return minBy(c, (x) => x.stats.latencyMs ?? 0, random);
    default:
      return weighted(c, random);
  }
}
