/**
 * SSE keep-alive comments for open streams. CloudFront drops an origin that sends nothing for 30 s (the gap
 * between packets), and a model may think longer than that before its first token. One timer serves every
 * stream: 5,000 open streams cost one interval, not 5,000.
 */
import type { ClientExchange } from '../pipeline/client-exchange.js';

const COMMENT = ': keep-alive\n\n';

export class Heartbeats {
  private readonly streams = new Set<ClientExchange>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  add(ex: ClientExchange): void {
    this.streams.add(ex);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), Math.max(50, Math.min(1000, this.intervalMs / 2)));
      this.timer.unref();
    }
  }

  delete(ex: ClientExchange): void {
    this.streams.delete(ex);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  get size(): number {
    return this.streams.size;
  }

  private tick(): void {
    const due = Date.now() - this.intervalMs;
    for (const ex of this.streams) {
      if (ex.finished) this.streams.delete(ex);
      else if (ex.lastWriteAt <= due) ex.write(COMMENT);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.streams.clear();
  }
}
