/**
 * The gateway process. Exit codes: 0 after a clean drain, 1 when it cannot start (bad configuration,
 * no native uWebSockets.js, port taken). After SIGTERM it exits 0 once drained or when the drain timeout passed.
 *
 * SKYWAY_THREADS (default: the cores this process may use) uWS event loops serve the API port: this thread
 * and SKYWAY_THREADS − 1 worker threads (threads/), which share this thread's limiter, usage recorder, metrics
 * registry and key-change feed.
 */
import { startGateway } from './app.js';
import { ConfigError } from './config/load.js';
import { SettingsError } from './config/settings.js';
import { NativeUwsUnavailable } from './http/uws.js';
import { startLoops, type Loops } from './threads/loops.js';
import { ThreadsSettingError, threadCount } from './threads/count.js';
import { withShareablePort } from './threads/shared-port.js';

async function main(): Promise<void> {
  let running;
  let threads: number;
  let env: NodeJS.ProcessEnv;
  try {
    threads = threadCount(process.env);
    env = await withShareablePort(process.env, threads);
    running = await startGateway(env);
  } catch (err) {
    fail(err);
  }
  if (running.masterKey.generated) {
    console.error(`skyway: generated a master key (kept in ${running.masterKey.file}):\n  ${running.masterKey.key}`);
  }
  // The extra loops start while this one already serves; a signal during their start waits for them.
  const loops: Promise<Loops> = startLoops(running, threads - 1, env).catch(fail);
  const stop = (signal: string) => {
    running.logger.info({ signal }, 'shutdown requested');
    // Every loop stops accepting at once; the extra loops drain first because their usage events and
    // settlements flow into this thread's recorder and limiter, which close last.
    if (running.gateway) running.gateway.draining = true;
    running.server?.stopListening();
    const drainMs = running.settings.drainTimeoutMs;
    loops
      .then((l) => l.drain(drainMs + 15_000))
      .then(({ exited }) => {
        if (!exited) running.logger.warn({}, 'an event loop did not end in time');
        return running.shutdown();
      })
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function fail(err: unknown): never {
  const known = err instanceof ConfigError || err instanceof SettingsError || err instanceof NativeUwsUnavailable || err instanceof ThreadsSettingError;
  console.error(`skyway: cannot start: ${known ? (err as Error).message : (err as Error).stack}`);
  process.exit(1);
}

void main();
