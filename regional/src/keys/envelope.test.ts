import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { EnvelopeCipher, KmsKeyProvider, LocalKeyProvider, localKeyFor, parseEncryptionKey, type KmsLike } from './envelope.js';
import { parseSigningSecrets } from './signing-secrets.js';

test('envelope encryption: round trip, bound to its row, tamper-evident, KMS through the interface', async () => {
  const cipher = new EnvelopeCipher(new LocalKeyProvider(randomBytes(32)));
  const env = await cipher.encrypt('sk-provider-secret', 'dep/1');
  assert.ok(!JSON.stringify(env).includes('sk-provider-secret'));
  assert.equal(await cipher.decrypt(env, 'dep/1'), 'sk-provider-secret');
  await assert.rejects(cipher.decrypt(env, 'dep/2'), 'an envelope moved to another row does not decrypt');
  const flipped = Buffer.from(env.ct, 'base64');
  flipped[0]! ^= 1;
  await assert.rejects(cipher.decrypt({ ...env, ct: flipped.toString('base64') }, 'dep/1'));
  await assert.rejects(new EnvelopeCipher(new LocalKeyProvider(randomBytes(32))).decrypt(env, 'dep/1'), 'another master key cannot unwrap');

  // A stand-in KMS: wraps data keys with its own key, as GenerateDataKey/Decrypt would.
  const kmsKey = new LocalKeyProvider(randomBytes(32), 'arn:aws:kms:eu-west-1:1:key/x');
  const kms: KmsLike = {
    generateDataKey: async () => {
      const dk = await kmsKey.generateDataKey();
      return { Plaintext: dk.plaintext, CiphertextBlob: dk.wrapped, KeyId: dk.keyId };
    },
    decrypt: async (i) => ({ Plaintext: await kmsKey.decryptDataKey(Buffer.from(i.CiphertextBlob), i.KeyId) }),
  };
  const viaKms = new EnvelopeCipher(new KmsKeyProvider(kms, 'arn:aws:kms:eu-west-1:1:key/x'));
  const e2 = await viaKms.encrypt('another', 'dep/9');
  assert.equal(e2.kp, 'kms');
  assert.equal(await viaKms.decrypt(e2, 'dep/9'), 'another');
  await assert.rejects(cipher.decrypt(e2, 'dep/9'), /provider 'kms'/);

  assert.equal(parseEncryptionKey('00'.repeat(32)).length, 32);
  assert.equal(parseEncryptionKey(randomBytes(32).toString('base64')).length, 32);
  assert.throws(() => parseEncryptionKey('short'), /32 bytes/);
});

test('signing secrets: newest version signs, bad entries are refused', () => {
  const s = parseSigningSecrets('1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, 3:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
  assert.equal(s.current, 3);
  assert.equal(s.byVersion.size, 2);
  assert.throws(() => parseSigningSecrets('0:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), /version/);
  assert.throws(() => parseSigningSecrets('1:short'), /32\.\.512/);
  assert.throws(() => parseSigningSecrets('1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'), /twice/);
  assert.throws(() => parseSigningSecrets(''), /empty/);
  // A bare value (what Secrets Manager generates at the first deploy) is version 1.
  assert.deepEqual([...parseSigningSecrets('c'.repeat(64)).byVersion], [[1, 'c'.repeat(64)]]);
});

test('a data key sealed in another region under a multi-Region key decrypts with this region\'s replica; other keys as recorded', () => {
  const eu = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1a2b3c';
  const us = 'arn:aws:kms:us-west-2:111122223333:key/mrk-1a2b3c';
  assert.equal(localKeyFor(eu, us), us);
  assert.equal(localKeyFor(us, us), us);
  assert.equal(localKeyFor(eu, 'arn:aws:kms:us-west-2:111122223333:key/mrk-ffff'), eu, 'another multi-Region key');
  const single = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  assert.equal(localKeyFor(single, us), single, 'a single-Region key is only usable where it lives');
});
