/**
 * SigV4 signing for bedrock-runtime with the AWS SDK's signer. Credentials come from the standard provider
 * chain (env, SSO, shared config, web identity, ECS task role, IMDS), memoised per profile, or from static
 * keys in the deployment options.
 */
import type { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { SignatureV4 } from '@smithy/signature-v4';
import type { ResolvedBedrock } from './options.js';

type AwsCredentialIdentityProvider = ReturnType<typeof fromNodeProviderChain>;

/** The AWS SDK pieces, loaded when the first Bedrock request is signed (they are large; most gateways never sign). */
let sdk: Promise<{ fromNodeProviderChain: typeof fromNodeProviderChain; SignatureV4: typeof SignatureV4; Sha256: typeof import('@aws-crypto/sha256-js').Sha256 }> | undefined;
function loadSdk() {
  return (sdk ??= Promise.all([import('@aws-sdk/credential-providers'), import('@smithy/signature-v4'), import('@aws-crypto/sha256-js')]).then(([c, s, h]) => ({
    fromNodeProviderChain: c.fromNodeProviderChain,
    SignatureV4: s.SignatureV4,
    Sha256: h.Sha256,
  })));
}
interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const chains = new Map<string, AwsCredentialIdentityProvider>();
const signers = new Map<string, SignatureV4>();

function credentialsFor(o: ResolvedBedrock, aws: Awaited<ReturnType<typeof loadSdk>>): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  if (o.aws_access_key_id && o.aws_secret_access_key) {
    return { accessKeyId: o.aws_access_key_id, secretAccessKey: o.aws_secret_access_key, ...(o.aws_session_token ? { sessionToken: o.aws_session_token } : {}) };
  }
  const key = o.aws_profile ?? '';
  let chain = chains.get(key);
  if (!chain) {
    // The chain caches credentials and refreshes them before they expire.
    chain = aws.fromNodeProviderChain(o.aws_profile ? { profile: o.aws_profile } : {});
    chains.set(key, chain);
  }
  return chain;
}

function signerFor(o: ResolvedBedrock, aws: Awaited<ReturnType<typeof loadSdk>>): SignatureV4 {
  const key = `${o.region}\0${o.aws_profile ?? ''}\0${o.aws_access_key_id ?? ''}\0${o.aws_session_token ?? ''}`;
  let s = signers.get(key);
  if (!s) {
    s = new aws.SignatureV4({ service: 'bedrock', region: o.region, credentials: credentialsFor(o, aws), sha256: aws.Sha256 });
    signers.set(key, s);
  }
  return s;
}

/**
 * Sign a POST. `path` must already be URI-encoded (model ids contain ':'); the signer encodes it once more
 * for the canonical request, as the AWS SDK does for every service but S3.
 */
export async function signRequest(
  o: ResolvedBedrock,
  url: URL,
  path: string,
  headers: Record<string, string>,
  body: string,
  signingDate?: Date,
): Promise<Record<string, string>> {
  const signed = await signerFor(o, await loadSdk()).sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path,
      query: {},
      headers: { ...headers, host: url.host },
      body,
    },
    signingDate ? { signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}
