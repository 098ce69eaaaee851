/**
 * AWS for provider credentials in production: KMS wraps the data keys of envelope-encrypted credentials
 * (SKYWAY_KMS_KEY_ID), and Secrets Manager holds credentials that deployments only reference
 * (`credential_secret_ref`). The SDK clients load on first use; the api role of a gateway with neither never
 * loads them.
 */
import { EnvelopeCipher, KmsKeyProvider, LocalKeyProvider, parseEncryptionKey, type KmsLike } from './envelope.js';

/** KMS through the AWS SDK (credentials and region from the standard provider chain). */
export function kmsClient(env: NodeJS.ProcessEnv = process.env): KmsLike {
  let client: Promise<{ m: typeof import('@aws-sdk/client-kms'); c: import('@aws-sdk/client-kms').KMSClient }> | undefined;
  const kms = () => (client ??= import('@aws-sdk/client-kms').then((m) => ({ m, c: new m.KMSClient(env.AWS_ENDPOINT_URL_KMS ? { endpoint: env.AWS_ENDPOINT_URL_KMS } : {}) })));
  return {
    generateDataKey: async (input) => {
      const { m, c } = await kms();
      return c.send(new m.GenerateDataKeyCommand(input));
    },
    decrypt: async (input) => {
      const { m, c } = await kms();
      return c.send(new m.DecryptCommand(input));
    },
  };
}

/**
 * The cipher for deployment credentials: KMS when SKYWAY_KMS_KEY_ID is set (production), else the local key
 * SKYWAY_ENCRYPTION_KEY (32 bytes, hex or base64), else none (deployments then take Secrets Manager
 * references only).
 */
export function credentialCipherFromEnv(env: NodeJS.ProcessEnv = process.env): EnvelopeCipher | undefined {
  if (env.SKYWAY_KMS_KEY_ID) return new EnvelopeCipher(new KmsKeyProvider(kmsClient(env), env.SKYWAY_KMS_KEY_ID));
  if (env.SKYWAY_ENCRYPTION_KEY) return new EnvelopeCipher(new LocalKeyProvider(parseEncryptionKey(env.SKYWAY_ENCRYPTION_KEY)));
  return undefined;
}

/**
 * Resolves a Secrets Manager reference (name or ARN; `arn…#field` picks a JSON field) to the credential,
 * cached for `ttlMs` so a reload of every deployment does not call AWS once per row.
 */
export function secretsManagerResolver(env: NodeJS.ProcessEnv = process.env, ttlMs = 300_000): (ref: string) => Promise<string> {
  let client: Promise<{ m: typeof import('@aws-sdk/client-secrets-manager'); c: import('@aws-sdk/client-secrets-manager').SecretsManagerClient }> | undefined;
  const sm = () =>
    (client ??= import('@aws-sdk/client-secrets-manager').then((m) => ({
      m,
      c: new m.SecretsManagerClient(env.AWS_ENDPOINT_URL_SECRETS_MANAGER ? { endpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER } : {}),
    })));
  const cache = new Map<string, { value: string; at: number }>();
  return async (ref) => {
    const hit = cache.get(ref);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const [id, field] = ref.split('#', 2) as [string, string | undefined];
    const { m, c } = await sm();
    const out = await c.send(new m.GetSecretValueCommand({ SecretId: id }));
    const raw = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined);
    if (raw === undefined) throw new Error(`secret '${id}' has no value`);
    let value = raw;
    if (field !== undefined) {
      const parsed = JSON.parse(raw) as Record<string, unknown>;
      if (typeof parsed[field] !== 'string') throw new Error(`secret '${id}' has no string field '${field}'`);
      value = parsed[field] as string;
    }
    cache.set(ref, { value, at: Date.now() });
    return value;
  };
}
