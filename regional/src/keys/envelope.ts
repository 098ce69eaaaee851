/**
 * Envelope encryption of provider credentials stored in Postgres. Each secret is encrypted with its own random
 * AES-256-GCM data key; the data key is stored wrapped by a key-encryption provider: the local provider wraps it
 * with SKYWAY_ENCRYPTION_KEY (AES-256-GCM), the KMS provider with an AWS KMS key (GenerateDataKey/Decrypt), so
 * that in production the master key never leaves KMS. The row id is bound as additional authenticated data, so
 * an envelope copied onto another row does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Stored form (JSON column `credential_envelope`). */
export interface Envelope {
  v: 1;
  /** Provider that wrapped the data key (`local` or `kms`). */
  kp: string;
  /** Id of the key-encryption key (local: fingerprint-free label; kms: key id/ARN). */
  kid: string;
  /** Wrapped data key, base64. */
  edk: string;
  iv: string;
  tag: string;
  ct: string;
}

export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
  keyId: string;
}

/** Wraps and unwraps data keys. */
export interface KeyEncryptionProvider {
  readonly name: string;
  generateDataKey(): Promise<DataKey>;
  decryptDataKey(wrapped: Buffer, keyId: string): Promise<Buffer>;
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): { iv: Buffer; tag: Buffer; ct: Buffer } {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return { iv, tag: c.getAuthTag(), ct };
}

function gcmDecrypt(key: Buffer, iv: Buffer, tag: Buffer, ct: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
}

/** Parse SKYWAY_ENCRYPTION_KEY: 32 bytes as 64 hex characters or base64. */
export function parseEncryptionKey(value: string): Buffer {
  const v = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (key.length !== 32) throw new Error('SKYWAY_ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)');
  return key;
}

/** Wraps data keys with a 256-bit key from the environment (SKYWAY_ENCRYPTION_KEY). */
export class LocalKeyProvider implements KeyEncryptionProvider {
  readonly name = 'local';
  readonly #kek: Buffer;
  readonly #kid: string;

  constructor(kek: Buffer, kid = 'env:SKYWAY_ENCRYPTION_KEY') {
    if (kek.length !== 32) throw new Error('key-encryption key must be 32 bytes');
    this.#kek = kek;
    this.#kid = kid;
  }

  async generateDataKey(): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const { iv, tag, ct } = gcmEncrypt(this.#kek, plaintext, Buffer.from(this.#kid));
    return { plaintext, wrapped: Buffer.concat([iv, tag, ct]), keyId: this.#kid };
  }

  async decryptDataKey(wrapped: Buffer, keyId: string): Promise<Buffer> {
    return gcmDecrypt(this.#kek, wrapped.subarray(0, 12), wrapped.subarray(12, 28), wrapped.subarray(28), Buffer.from(keyId));
  }
}

/**
 * The subset of `@aws-sdk/client-kms` used here, so the SDK stays optional: pass
 * `{ generateDataKey: (i) => kms.send(new GenerateDataKeyCommand(i)), decrypt: (i) => kms.send(new DecryptCommand(i)) }`.
 */
export interface KmsLike {
  generateDataKey(input: { KeyId: string; KeySpec: 'AES_256' }): Promise<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array; KeyId?: string }>;
  decrypt(input: { CiphertextBlob: Uint8Array; KeyId: string }): Promise<{ Plaintext?: Uint8Array }>;
}

const MULTI_REGION_KEY = /^arn:[^:]+:kms:[^:]+:\d{12}:key\/(mrk-[0-9a-z]+)$/i;

/**
 * The key to decrypt with in this region: a data key wrapped in another region under a multi-Region KMS key (its
 * envelope names that region's ARN) decrypts with this region's replica, which has the same key id and material
 * (the config store is global, provider credentials are sealed wherever the admin write ran). Any other key id
 * is used as recorded.
 *
 * @example localKeyFor('arn:aws:kms:eu-west-1:111122223333:key/mrk-1a2b', 'arn:aws:kms:us-west-2:111122223333:key/mrk-1a2b') // → the us-west-2 ARN
 */
export function localKeyFor(recorded: string, local: string): string {
  const id = MULTI_REGION_KEY.exec(recorded)?.[1];
  return id !== undefined && id === MULTI_REGION_KEY.exec(local)?.[1] ? local : recorded;
}

/** Data keys from AWS KMS: the key-encryption key never leaves KMS. */
export class KmsKeyProvider implements KeyEncryptionProvider {
  readonly name = 'kms';
  constructor(
    private readonly kms: KmsLike,
    private readonly keyId: string,
  ) {}

  async generateDataKey(): Promise<DataKey> {
    const out = await this.kms.generateDataKey({ KeyId: this.keyId, KeySpec: 'AES_256' });
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob), keyId: out.KeyId ?? this.keyId };
  }

  async decryptDataKey(wrapped: Buffer, keyId: string): Promise<Buffer> {
    const out = await this.kms.decrypt({ CiphertextBlob: wrapped, KeyId: localKeyFor(keyId, this.keyId) });
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return Buffer.from(out.Plaintext);
  }
}

/** Encrypt and decrypt secrets bound to a row id. */
export class EnvelopeCipher {
  constructor(private readonly provider: KeyEncryptionProvider) {}

  async encrypt(secret: string, boundTo: string): Promise<Envelope> {
    const dk = await this.provider.generateDataKey();
    try {
      const { iv, tag, ct } = gcmEncrypt(dk.plaintext, Buffer.from(secret, 'utf8'), Buffer.from(boundTo));
      return {
        v: 1,
        kp: this.provider.name,
        kid: dk.keyId,
        edk: dk.wrapped.toString('base64'),
        iv: iv.toString('base64'),
        tag: tag.toString('base64'),
        ct: ct.toString('base64'),
      };
    } finally {
      dk.plaintext.fill(0);
    }
  }

  async decrypt(env: Envelope, boundTo: string): Promise<string> {
    if (env.v !== 1 || env.kp !== this.provider.name) throw new Error(`envelope made by provider '${env.kp}', this cipher uses '${this.provider.name}'`);
    const key = await this.provider.decryptDataKey(Buffer.from(env.edk, 'base64'), env.kid);
    try {
      const b = (s: string) => Buffer.from(s, 'base64');
      return gcmDecrypt(key, b(env.iv), b(env.tag), b(env.ct), Buffer.from(boundTo)).toString('utf8');
    } finally {
      key.fill(0);
    }
  }
}
