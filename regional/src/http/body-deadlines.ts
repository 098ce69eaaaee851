/**
 * Deadlines of request bodies still being read, checked by one interval timer per event loop rather than a
 * timer per request: a body normally arrives within one turn, and adding to and deleting from a Set costs less
 * than arming and clearing a timer. The interval runs only while some body is pending.
 *
 * Why a total deadline: uWS closes a connection only after 10 s with no bytes at all, so a client that trickles
 * one byte every few seconds (slowloris) would hold its connection, its buffer and a request slot forever.
 */
export interface BodyDeadline {
  /** performance.now() after which the body is late. */
  readonly at: number;
  /** Called once when the deadline passes while the body is still pending. */
  expire(): void;
}

const pending = new Set<BodyDeadline>();
let timer: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = performance.now();
  for (const d of pending) {
    if (d.at > now) continue;
    pending.delete(d);
    try {
      d.expire();
    } catch {
      /* expire() answers through the exchange, which has its own boundary; one failure must not stop the sweep */
    }
  }
  if (pending.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/** Track a body's deadline; `timeoutMs` also sets the sweep's resolution (a quarter of it, 20 ms to 1 s). */
export function watchBody(d: BodyDeadline, timeoutMs: number): void {
  pending.add(d);
  timer ??= setInterval(sweep, Math.min(1000, Math.max(20, timeoutMs / 4))).unref();
}

/** The body arrived, was refused, or the client went away. */
export function unwatchBody(d: BodyDeadline): void {
  pending.delete(d);
}
