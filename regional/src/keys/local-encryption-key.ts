/**
 * The local stack's key for deployment credentials: like the master key, generated on first start into the
 * data dir (`encryption-key`, mode 0600) unless SKYWAY_ENCRYPTION_KEY or SKYWAY_KMS_KEY_ID is set, so that an
 * admin can add a deployment with an `api_key` under `npm start`. Production sets KMS (or the env key).
 * Losing the file makes stored credentials unreadable: keep it with the data dir.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEncryptionKey } from './envelope.js';

export interface LocalEncryptionKey {
  /** 64 hex characters, for SKYWAY_ENCRYPTION_KEY. */
  key: string;
  generated: boolean;
  file: string;
}

/** Undefined when the environment already configures a key (KMS or SKYWAY_ENCRYPTION_KEY). */
export function resolveLocalEncryptionKey(env: NodeJS.ProcessEnv, dataDir: string): LocalEncryptionKey | undefined {
  if (env.SKYWAY_KMS_KEY_ID || env.SKYWAY_ENCRYPTION_KEY) return undefined;
  const file = join(dataDir, 'encryption-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    parseEncryptionKey(key); // a damaged file fails here, with the message that says what the key must be
    return { key, generated: false, file };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, generated: true, file };
}
