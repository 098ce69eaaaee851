/**
 * Skyway virtual-key format: encoder, decoder and checks. The same rules are implemented (in the restricted
 * CloudFront language) by edge/function/viewer-request.js; both are tested against shared/keys/vectors.json.
 *
 * ```
 * sk-sky-<keyId>_<secret><version><mac><checksum>
 *        12 [0-9a-z]  32 [0-9A-Za-z]  2 [0-9a-z]  24 [0-9a-f]  8 [0-9a-f]      (86 characters in all)
 * ```
 * - keyId: public, random; names the key in Postgres, logs and the edge KVS.
 * - secret: random (~190 bits); the part that makes the key unguessable even to holders of the signing secret.
 * - version: the signing-secret version, base 36 (1..1295), so secrets can rotate while old keys stay valid.
 * - mac: first 96 bits (hex) of HMAC-SHA256(signingSecret, `sk-sky-<keyId>_<secret><version>`).
 * - checksum: first 32 bits (hex) of SHA-256 over everything before it; rejects typos with no secret and no lookup.
 *
 * See shared/keys/README.md for the reasoning.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_PREFIX = 'sk-sky-';
export const KEY_LENGTH = 86;
export const MAX_SECRET_VERSION = 36 * 36 - 1;

const KEY_RE = /^sk-sky-([0-9a-z]{12})_([0-9A-Za-z]{32})([0-9a-z]{2})([0-9a-f]{24})([0-9a-f]{8})$/;
const KEY_ID_RE = /^[0-9a-z]{12}$/;
const LOWER36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Why a string is not a usable key. `missing`, `malformed` and `checksum` need no secret at all. */
export type KeyRejectReason = 'missing' | 'malformed' | 'checksum' | 'unknown_version' | 'mac';

export interface KeyParts {
  keyId: string;
  secret: string;
  /** Signing-secret version (1..1295). */
  version: number;
  mac: string;
  checksum: string;
}

export type ParseResult = { ok: true; parts: KeyParts } | { ok: false; reason: KeyRejectReason };

export interface GeneratedKey {
  /** The plaintext key: show it once, never store it. */
  key: string;
  keyId: string;
  version: number;
  /** What Postgres stores: see hashForStorage. */
  hash: string;
  /** Safe to display and log: `sk-sky-<keyId>_…`. */
  hint: string;
}

function randomChars(alphabet: string, length: number): string {
  // Rejection sampling keeps every character uniformly distributed.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

function encodeVersion(version: number): string {
  if (!Number.isInteger(version) || version < 1 || version > MAX_SECRET_VERSION) {
    throw new RangeError(`signing-secret version must be an integer in 1..${MAX_SECRET_VERSION}, got ${version}`);
  }
  return LOWER36[Math.floor(version / 36)]! + LOWER36[version % 36]!;
}

function signedPart(keyId: string, secret: string, versionCode: string): string {
  return KEY_PREFIX + keyId + '_' + secret + versionCode;
}

function macOf(signingSecret: string, signed: string): string {
  return createHmac('sha256', signingSecret).update(signed).digest('hex').slice(0, 24);
}

function checksumOf(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 8);
}

/**
 * Assemble a key from given parts. Exposed for test vectors and tools; use generateKey for real keys.
 */
export function buildKey(keyId: string, secret: string, version: number, signingSecret: string): string {
  if (!KEY_ID_RE.test(keyId)) throw new RangeError('keyId must be 12 characters of [0-9a-z]');
  if (!/^[0-9A-Za-z]{32}$/.test(secret)) throw new RangeError('secret must be 32 characters of [0-9A-Za-z]');
  assertSigningSecret(signingSecret);
  const signed = signedPart(keyId, secret, encodeVersion(version));
  const body = signed + macOf(signingSecret, signed);
  return body + checksumOf(body);
}

/** Signing secrets are ASCII strings used as HMAC keys byte for byte (the edge reads them from the KVS). */
export function assertSigningSecret(signingSecret: string): void {
  if (!/^[\x21-\x7e]{32,512}$/.test(signingSecret)) {
    throw new RangeError('a signing secret must be 32..512 printable ASCII characters without spaces');
  }
}

/** A fresh random signing secret (43 base64url characters, 256 bits). */
export function generateSigningSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A new virtual key signed with `signingSecret` under `version`.
 *
 * @example
 * const { key, keyId, hash } = generateKey(process.env.SIGNING_SECRET_V1!, 1);
 * // store keyId and hash; show `key` once
 */
export function generateKey(signingSecret: string, version: number): GeneratedKey {
  const keyId = randomChars(LOWER36, 12);
  const key = buildKey(keyId, randomChars(BASE62, 32), version, signingSecret);
  return { key, keyId, version, hash: hashForStorage(key), hint: keyHint(keyId) };
}

/** Split a key into its parts and check the checksum. Needs no secret and no lookup. */
export function parseKey(key: string | undefined | null): ParseResult {
  if (!key) return { ok: false, reason: 'missing' };
  const m = KEY_RE.exec(key);
  if (!m) return { ok: false, reason: 'malformed' };
  const version = parseInt(m[3]!, 36);
  if (version < 1) return { ok: false, reason: 'malformed' };
  if (checksumOf(key.slice(0, KEY_LENGTH - 8)) !== m[5]) return { ok: false, reason: 'checksum' };
  return { ok: true, parts: { keyId: m[1]!, secret: m[2]!, version, mac: m[4]!, checksum: m[5]! } };
}

/** Whether the key's MAC was made with `signingSecret` (constant-time comparison). */
export function verifyMac(parts: KeyParts, signingSecret: string): boolean {
  const expected = Buffer.from(macOf(signingSecret, signedPart(parts.keyId, parts.secret, encodeVersion(parts.version))));
  const given = Buffer.from(parts.mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Parse and verify in one step, as the edge does. `secretFor(version)` returns the signing secret of a version,
 * or undefined when that version is unknown or retired.
 */
export function checkKey(
  key: string | undefined | null,
  secretFor: (version: number) => string | undefined,
): { ok: true; keyId: string; version: number } | { ok: false; reason: KeyRejectReason } {
  const parsed = parseKey(key);
  if (!parsed.ok) return parsed;
  const secret = secretFor(parsed.parts.version);
  if (secret === undefined) return { ok: false, reason: 'unknown_version' };
  if (!verifyMac(parsed.parts, secret)) return { ok: false, reason: 'mac' };
  return { ok: true, keyId: parsed.parts.keyId, version: parsed.parts.version };
}

/**
 * What Postgres stores for a key: lowercase hex SHA-256 of the whole key string. A fast hash is enough because
 * the secret part alone carries ~190 random bits (nothing to brute-force, unlike a password).
 */
export function hashForStorage(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Whether `s` has the shape of a key id (for validating admin API input and KVS entry names). */
export function isKeyId(s: string): boolean {
  return KEY_ID_RE.test(s);
}

/** A display form that reveals nothing secret: `sk-sky-<keyId>_…`. */
export function keyHint(keyId: string): string {
  return `${KEY_PREFIX}${keyId}_…`;
}
