/**
 * Regenerates shared/keys/vectors.json from fixed inputs (no randomness), so the file only changes when the
 * format does. Run: node <dist>/shared/keys/make-vectors.js > shared/keys/vectors.json
 */
import { createHash } from 'node:crypto';
import { buildKey, hashForStorage, type KeyRejectReason } from './key-format.js';

export interface KeyVector {
  name: string;
  key: string;
  /** ok: keyId, version and hash are given; otherwise reason is. */
  ok: boolean;
  keyId?: string;
  version?: number;
  hash?: string;
  reason?: KeyRejectReason;
}

export interface KeyVectors {
  description: string;
  /** Signing secrets by version, as the edge finds them in the KVS under `sig:<version>`. */
  signingSecrets: Record<string, string>;
  vectors: KeyVector[];
}

const S1 = 'test-signing-secret-version-1-aaaaaaaaaaaaaaaaaaaa';
const S2 = 'test-signing-secret-version-2-bbbbbbbbbbbbbbbbbbbb';
const S36 = 'test-signing-secret-version-36-dddddddddddddddddddd';
const S_UNPUBLISHED = 'test-signing-secret-never-published-cccccccccccc';

function withChecksum(bodyWithoutChecksum: string): string {
  return bodyWithoutChecksum + createHash('sha256').update(bodyWithoutChecksum).digest('hex').slice(0, 8);
}

function replaceAt(s: string, i: number, c: string): string {
  return s.slice(0, i) + c + s.slice(i + 1);
}

export function makeVectors(): KeyVectors {
  const v1 = buildKey('a1b2c3d4e5f6', 'Q7x9KpL2mN4vB8cR1tY6uI3oP5aS0dFg', 1, S1);
  const v2 = buildKey('zz00yy11xx22', 'hJ3kL5zX7cV9bN1mQ2wE4rT6yU8iO0pA', 2, S2);
  const v36 = buildKey('0000000000aa', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 36, S36);
  const secretAt = 20; // index inside the secret part
  const typo = replaceAt(v1, secretAt, v1[secretAt] === 'x' ? 'y' : 'x');
  const swap = v1.slice(0, 30) + v1[31] + v1[30] + v1.slice(32);
  const forgedBody = buildKey('a1b2c3d4e5f6', 'Q7x9KpL2mN4vB8cR1tY6uI3oP5aS0dFg', 1, S_UNPUBLISHED).slice(0, -8);
  const forged = withChecksum(forgedBody);
  const unknownVersion = buildKey('q1w2e3r4t5y6', 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp', 3, S_UNPUBLISHED);
  const versionZero = withChecksum(v1.slice(0, 52) + '00' + v1.slice(54, 78));
  const valid = (name: string, key: string, keyId: string, version: number): KeyVector => ({
    name, key, ok: true, keyId, version, hash: hashForStorage(key),
  });
  const bad = (name: string, key: string, reason: KeyRejectReason): KeyVector => ({ name, key, ok: false, reason });
  return {
    description:
      'Skyway virtual-key test vectors (see README.md). Both shared/keys/key-format.ts and the edge function must agree with every vector.',
    signingSecrets: { '1': S1, '2': S2, '36': S36 },
    vectors: [
      valid('valid key, secret version 1', v1, 'a1b2c3d4e5f6', 1),
      valid('valid key, secret version 2', v2, 'zz00yy11xx22', 2),
      valid('valid key, version 36 encodes as "10"', v36, '0000000000aa', 36),
      bad('empty string', '', 'missing'),
      bad('typo: one character of the secret changed', typo, 'checksum'),
      bad('typo: two adjacent characters swapped', swap, 'checksum'),
      bad('checksum digit changed', replaceAt(v1, 85, v1[85] === '0' ? '1' : '0'), 'checksum'),
      bad('forged: MAC from an unpublished secret, checksum recomputed', forged, 'mac'),
      bad('signed with a version that is not published', unknownVersion, 'unknown_version'),
      bad('version 00 is never issued', versionZero, 'malformed'),
      bad('another vendor prefix', 'sk-proj-' + v1.slice(7), 'malformed'),
      bad('truncated by one character', v1.slice(0, -1), 'malformed'),
      bad('trailing whitespace', v1 + ' ', 'malformed'),
      bad('upper-case key id', 'sk-sky-A1B2C3D4E5F6' + v1.slice(19), 'malformed'),
      bad('random string of the right length', 'sk-sky-' + 'x'.repeat(79), 'malformed'),
      bad('random string shaped like a key', withChecksum('sk-sky-abcdefabcdef_' + 'a'.repeat(32) + '01' + 'f'.repeat(24)).slice(0, -8) + '00000000', 'checksum'),
    ],
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  process.stdout.write(JSON.stringify(makeVectors(), null, 2) + '\n');
}
