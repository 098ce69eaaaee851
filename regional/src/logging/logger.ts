/**
 * pino, writing through a buffered asynchronous destination (line-buffer.ts: 64 KB writes) so that a log line
 * costs the request path a few microseconds. Flushed on shutdown. Keys and prompt text are never logged: the request path logs fields it
 * picks (ids, model, status, timings, token counts), never whole objects, so no redaction pass is needed.
 */
import { threadId } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { registerAccessLog } from './access-log.js';
import { LineBuffer } from './line-buffer.js';

export type { Logger };

export function createLogger(level: string, role: string): { logger: Logger; flush: () => void } {
  const dest = new LineBuffer(1);
  const logger = pino(
    {
      level,
      // `loop`: which uWS event loop (0 = the main thread; see threads/) wrote the line.
      base: { role, pid: process.pid, loop: threadId },
    },
    dest,
  );
  // The access log's line (one per request) skips pino's general path: see access-log.ts.
  registerAccessLog(logger, dest);
  // Lines still buffered when the process (or this event loop's thread) ends are written synchronously.
  process.once('exit', () => dest.flushSync());
  // Bounded staleness: a quiet gateway still shows its last lines within a second.
  setInterval(() => {
    try {
      dest.flush();
    } catch {
      /* not ready yet */
    }
  }, 1000).unref();
  return {
    logger,
    flush: () => {
      try {
        dest.flushSync();
      } catch {
        /* destination not ready yet or already closed */
      }
    },
  };
}
