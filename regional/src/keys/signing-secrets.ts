/**
 * Versioned secrets for the key MAC (the part of a virtual key the edge can verify without a lookup).
 * SKYWAY_KEY_SIGNING_SECRETS = "1:<secret>,2:<secret>" (or a bare "<secret>", version 1): the highest version signs new keys; every listed
 * version still verifies, so a secret is rotated by adding a new version, waiting for old keys to be rotated,
 * then removing the old one. The same list is published to the edge KVS by the admin role.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertSigningSecret, generateSigningSecret, MAX_SECRET_VERSION } from '../../../shared/keys/key-format.js';

export interface SigningSecrets {
  /** Version used for new keys (the highest). */
  current: number;
  /** Every accepted version. */
  byVersion: ReadonlyMap<number, string>;
}

export function parseSigningSecrets(value: string): SigningSecrets {
  const byVersion = new Map<number, string>();
  // A bare secret (no "n:") is version 1: what Secrets Manager generates for a new deployment.
  if (value.trim() && !value.includes(':') && !value.includes(',')) value = `1:${value.trim()}`;
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf(':');
    const version = Number(part.slice(0, i));
    const secret = part.slice(i + 1);
    if (i <= 0 || !Number.isInteger(version) || version < 1 || version > MAX_SECRET_VERSION) {
      throw new Error(`SKYWAY_KEY_SIGNING_SECRETS: an entry is not "<version 1-${MAX_SECRET_VERSION}>:<secret>"`);
    }
    try {
      assertSigningSecret(secret);
    } catch {
      throw new Error(`SKYWAY_KEY_SIGNING_SECRETS: secret version ${version} must be 32..512 printable ASCII characters without spaces`);
    }
    if (byVersion.has(version)) throw new Error(`SKYWAY_KEY_SIGNING_SECRETS: version ${version} appears twice`);
    byVersion.set(version, secret);
  }
  if (byVersion.size === 0) throw new Error('SKYWAY_KEY_SIGNING_SECRETS is empty');
  return { current: Math.max(...byVersion.keys()), byVersion };
}

/**
 * The signing secrets from SKYWAY_KEY_SIGNING_SECRETS; without it and with a data dir (the local stack), a
 * secret generated once and kept in `<dataDir>/key-signing-secret` (mode 0600) so keys survive restarts.
 */
export function loadSigningSecrets(env: NodeJS.ProcessEnv = process.env, dataDir?: string): SigningSecrets {
  if (env.SKYWAY_KEY_SIGNING_SECRETS) return parseSigningSecrets(env.SKYWAY_KEY_SIGNING_SECRETS);
  if (!dataDir) throw new Error('SKYWAY_KEY_SIGNING_SECRETS is not set (e.g. "1:$(openssl rand -hex 32)")');
  const file = join(dataDir, 'key-signing-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `1:${generateSigningSecret()}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return parseSigningSecrets(readFileSync(file, 'utf8'));
}
