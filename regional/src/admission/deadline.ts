/**
 * A deadline for a limiter call that does not blame Redis for the gateway's own backlog.
 *
 * ioredis' `commandTimeout` is a timer started when the command is written. After a long event-loop turn (a
 * burst of requests parsed and admitted in one go), Node runs the expired timers before it reads the sockets:
 * the timer fires while Redis' answer already sits unread in the socket buffer, the call fails, and admission
 * falls back to its failure policy (budgets fail closed: 503 `limits_unavailable`) although Redis answered in
 * time; and a command queued for auto-pipelining is written only on a later tick, so a held loop can delay the
 * write itself past the timer. Here the deadline counts only time in which the loop ran: a timer that fired late
 * (the loop was held) re-arms, and an expired timer only schedules the verdict for the check phase of the same
 * loop iteration (`setImmediate`), after the I/O phase, so an answer that had arrived is read first and wins.
 * A Redis that is really slow or gone still fails the call once the loop has been responsive for `ms`.
 */
export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} exceeded ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/** How late a timer may fire before the loop counts as having been held (ms), and how often a deadline re-arms. */
const HELD_MS = 10;
const MAX_REARMS = 4;

/**
 * `call` settled as it settles, or rejected with DeadlineExceeded when it has not after `ms` of a responsive
 * event loop (see above): a timer that fires late by more than HELD_MS means the loop was held, possibly before
 * the command was even written (auto-pipelining writes on a later tick), so the deadline re-arms for another
 * `ms`, at most MAX_REARMS times; a timer on time judges in the check phase, after the sockets were read.
 */
export function withDeadline<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let rearms = 0;
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const due = performance.now() + ms;
      timer = setTimeout(() => {
        if (settled) return;
        if (performance.now() - due > HELD_MS && rearms < MAX_REARMS) {
          rearms++;
          arm();
          return;
        }
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new DeadlineExceeded(what, ms));
        });
      }, ms);
    };
    arm();
    call.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * ioredis' own timeout behind the deadline: long enough never to fire first after a long turn, short enough that
 * a command Redis never answers (a partition without a reset) does not stay queued for ever.
 */
export function backstopTimeoutMs(deadlineMs: number): number {
  return Math.max((MAX_REARMS + 2) * deadlineMs, deadlineMs + 1000);
}
