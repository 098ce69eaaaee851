/**
 * The regional side of the key format (shared/keys/key-format.ts): issue keys with the current signing secret,
 * check shape, checksum and MAC without a lookup, and hash for storage.
 */
import { generateKey, hashForStorage, parseKey, verifyMac, type KeyParts, type KeyRejectReason } from '../../../shared/keys/key-format.js';
import type { SigningSecrets } from './signing-secrets.js';

export interface IssuedKey {
  plaintext: string;
  keyId: string;
  /** What is stored in virtual_keys.key_hash. */
  hash: string;
  secretVersion: number;
}

export function issueKey(secrets: SigningSecrets): IssuedKey {
  const g = generateKey(secrets.byVersion.get(secrets.current)!, secrets.current);
  return { plaintext: g.key, keyId: g.keyId, hash: g.hash, secretVersion: g.version };
}

export type KeyCheck = { ok: true; parts: KeyParts } | { ok: false; reason: KeyRejectReason };

/** Shape, checksum and MAC: everything that needs no lookup. */
export function checkKeyToken(token: string, secrets: SigningSecrets): KeyCheck {
  const parsed = parseKey(token);
  if (!parsed.ok) return parsed;
  const secret = secrets.byVersion.get(parsed.parts.version);
  if (secret === undefined) return { ok: false, reason: 'unknown_version' };
  if (!verifyMac(parsed.parts, secret)) return { ok: false, reason: 'mac' };
  return parsed;
}

/** The key id of a well-formed key (checksum checked), or null. */
export function keyIdOf(token: string): string | null {
  const parsed = parseKey(token);
  return parsed.ok ? parsed.parts.keyId : null;
}

export const hashKey = hashForStorage;
