import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../test-support/paths.js';
import {
  checkKey, generateKey, generateSigningSecret, hashForStorage, isKeyId, KEY_LENGTH, keyHint, parseKey, verifyMac,
} from './key-format.js';
import { makeVectors, type KeyVectors } from './make-vectors.js';

const vectors = JSON.parse(readFileSync(join(repoRoot(), 'shared/keys/vectors.json'), 'utf8')) as KeyVectors;
const secretFor = (v: number) => vectors.signingSecrets[String(v)];

test('vectors.json is what make-vectors produces (regenerate it when the format changes)', () => {
  assert.deepEqual(vectors, makeVectors());
});

for (const v of vectors.vectors) {
  test(`vector: ${v.name}`, () => {
    const r = checkKey(v.key, secretFor);
    if (v.ok) {
      assert.deepEqual(r, { ok: true, keyId: v.keyId, version: v.version });
      assert.equal(hashForStorage(v.key), v.hash);
    } else {
      assert.deepEqual(r, { ok: false, reason: v.reason });
    }
  });
}

test('generated keys parse, verify, and fail under another secret', () => {
  const s1 = generateSigningSecret();
  const s2 = generateSigningSecret();
  for (let i = 0; i < 50; i++) {
    const g = generateKey(s1, 7);
    assert.equal(g.key.length, KEY_LENGTH);
    assert.ok(isKeyId(g.keyId));
    assert.equal(g.hint, keyHint(g.keyId));
    assert.ok(!g.hint.includes(g.key.slice(20)));
    const p = parseKey(g.key);
    assert.ok(p.ok);
    assert.equal(p.parts.keyId, g.keyId);
    assert.equal(p.parts.version, 7);
    assert.ok(verifyMac(p.parts, s1));
    assert.ok(!verifyMac(p.parts, s2));
    assert.equal(g.hash, hashForStorage(g.key));
  }
});

test('every single-character substitution of a key is rejected without a secret', () => {
  const { key } = generateKey(generateSigningSecret(), 1);
  let rejected = 0;
  for (let i = 7; i < key.length; i++) {
    const c = key[i] === 'a' ? 'b' : 'a';
    const r = parseKey(key.slice(0, i) + c + key.slice(i + 1));
    assert.equal(r.ok, false, `substitution at ${i} passed`);
    rejected++;
  }
  assert.equal(rejected, key.length - 7);
});

test('signing secrets and versions are validated', () => {
  assert.throws(() => generateKey('short', 1), RangeError);
  assert.throws(() => generateKey(generateSigningSecret(), 0), RangeError);
  assert.throws(() => generateKey(generateSigningSecret(), 1296), RangeError);
  assert.equal(parseKey(generateKey(generateSigningSecret(), 1295).key).ok, true);
});
