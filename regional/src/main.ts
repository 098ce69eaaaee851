/**
 * The gateway process. Exit codes: 0 after a clean drain, 1 when it cannot start (bad configuration,
 * no native uWebSockets.js, port taken). After SIGTERM it exits 0 once drained or when the drain timeout passed.
 */
import { startGateway } from './app.js';
import { ConfigError } from './config/load.js';
import { SettingsError } from './config/settings.js';
import { NativeUwsUnavailable } from './http/uws.js';

async function main(): Promise<void> {
  let running;
  try {
    running = await startGateway(process.env);
  } catch (err) {
    const known = err instanceof ConfigError || err instanceof SettingsError || err instanceof NativeUwsUnavailable;
    console.error(`skyway: cannot start: ${known ? (err as Error).message : (err as Error).stack}`);
    process.exit(1);
  }
  if (running.masterKey.generated) {
    console.error(`skyway: generated a master key (kept in ${running.masterKey.file}):\n  ${running.masterKey.key}`);
  }
  const stop = (signal: string) => {
    running.logger.info({ signal }, 'shutdown requested');
    running.shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
