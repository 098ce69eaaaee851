/**
 * Secrets inside a deployment's `headers` and `options` are write-only, like its `api_key`: the admin API,
 * the audit log and viewers see `"***"` in their place, and the object lists which names are secret
 * (`secret_headers`, `secret_options`). A PATCH that sends `"***"` back for a secret keeps the stored value,
 * so a read-modify-write round trip never overwrites a credential with its mask.
 *
 * Which names are secret is decided by name, generously: a false positive only hides a value from the API.
 */

/** What the API shows instead of a secret value. */
export const REDACTED = '***';

/** Header names that carry credentials (compared lower-case). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'cookie', 'x-goog-api-key', 'ocp-apim-subscription-key']);

/**
 * Parts of a name that make it secret: `aws_secret_access_key`, `aws_session_token`, `client_secret`,
 * `private_key`, `password`, `x-auth-token`, `service_account_json`, `credentials`, `signature`.
 */
const SECRET_NAME = /(secret|token|passw|passphrase|credential|private|api[-_]?key|access[-_]?key|auth|signature|cookie|session|service[-_]?account)/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase()) || SECRET_NAME.test(name);
}

export function isSecretOption(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Replace every secret value (recursively inside nested option objects) by the mask. */
function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretOption(k) ? REDACTED : redactValue(v);
    return out;
  }
  return value;
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k] = isSecretHeader(k) ? REDACTED : v;
  return out;
}

export function redactOptions(options: Record<string, unknown>): Record<string, unknown> {
  return redactValue(options ?? {}) as Record<string, unknown>;
}

/** Names of the top-level headers / options that are write-only. */
export function secretNames(headers: Record<string, string>, options: Record<string, unknown>): { headers: string[]; options: string[] } {
  return { headers: Object.keys(headers ?? {}).filter(isSecretHeader), options: Object.keys(options ?? {}).filter(isSecretOption) };
}

/**
 * An update's headers or options with every masked secret (`"***"`) replaced by the stored value at the same
 * place (nested option objects too); a mask with no stored value is reported (the caller refuses it: storing it
 * would replace a credential by its mask).
 */
export function keepMaskedSecrets<T>(incoming: Record<string, T>, stored: Record<string, T>, isSecret: (name: string) => boolean, at = ''): { merged: Record<string, T>; unknownMasked: string[] } {
  const merged: Record<string, T> = {};
  const unknownMasked: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  for (const [k, v] of Object.entries(incoming)) {
    const prior = stored && Object.prototype.hasOwnProperty.call(stored, k) ? stored[k] : undefined;
    if (v === REDACTED && isSecret(k)) {
      if (prior !== undefined) merged[k] = prior;
      else unknownMasked.push(at + k);
    } else if (isObject(v)) {
      const inner = keepMaskedSecrets(v, isObject(prior) ? prior : {}, isSecret, `${at}${k}.`);
      merged[k] = inner.merged as T;
      unknownMasked.push(...inner.unknownMasked);
    } else merged[k] = v;
  }
  return { merged, unknownMasked };
}
