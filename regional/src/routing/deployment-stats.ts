/**
 * Per-replica live numbers about each deployment: requests in flight, EWMA of time to first byte, and the
 * requests and tokens of the last minute (for RPM/TPM ceilings), in one-second buckets.
 */

const BUCKETS = 60;

class MinuteWindow {
  private readonly counts = new Float64Array(BUCKETS);
  private readonly stamps = new Float64Array(BUCKETS);

  add(now: number, n: number): void {
    const sec = Math.floor(now / 1000);
    const i = sec % BUCKETS;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }

  sum(now: number): number {
    const sec = Math.floor(now / 1000);
    let s = 0;
    for (let i = 0; i < BUCKETS; i++) if (sec - this.stamps[i]! < BUCKETS) s += this.counts[i]!;
    return s;
  }
}

export class DeploymentStats {
  inFlight = 0;
  /** EWMA of time to first byte (ms); undefined until the first success. */
  latencyMs: number | undefined;
  readonly requests = new MinuteWindow();
  readonly tokens = new MinuteWindow();

  recordLatency(ms: number, alpha: number): void {
    this.latencyMs = this.latencyMs === undefined ? ms : alpha * ms + (1 - alpha) * this.latencyMs;
  }
}

export class StatsRegistry {
  private readonly byId = new Map<string, DeploymentStats>();

  get(id: string): DeploymentStats {
    let s = this.byId.get(id);
    if (!s) this.byId.set(id, (s = new DeploymentStats()));
    return s;
  }
}
