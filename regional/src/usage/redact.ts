/**
 * Redaction of archived payloads. Archiving is opt-in per key or team (the gateway attaches `payload` to the
 * usage event only for such principals); what is archived still passes these rules: secrets by key name,
 * secret-looking and personal strings by pattern, and a length cap. Runs in the sink, off the request path.
 */

export interface RedactionRules {
  /** Object keys (case-insensitive, any depth) whose values are replaced by `[REDACTED]`. */
  keys: readonly string[];
  /** Patterns replaced by `[REDACTED]` in every string (global flag added when missing). */
  patterns: readonly RegExp[];
  /** Strings longer than this are cut, with a marker. */
  maxStringLength: number;
}

export const DEFAULT_REDACTION: RedactionRules = {
  keys: ['authorization', 'api_key', 'apikey', 'api-key', 'x-api-key', 'password', 'secret', 'access_token', 'refresh_token', 'client_secret'],
  patterns: [
    /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style and Skyway keys
    /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
    /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
    /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g, // e-mail addresses
    /\b(?:\d[ -]?){12,18}\d\b/g, // payment-card-like digit runs
  ],
  maxStringLength: 200_000,
};

const MARK = '[REDACTED]';

/** Rules from env: the defaults plus SKYWAY_ARCHIVE_REDACT_KEYS (comma list) and SKYWAY_ARCHIVE_REDACT_PATTERNS (JSON array of regex sources). */
export function redactionFromEnv(env: NodeJS.ProcessEnv): RedactionRules {
  const keys = (env.SKYWAY_ARCHIVE_REDACT_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  const patterns = env.SKYWAY_ARCHIVE_REDACT_PATTERNS ? (JSON.parse(env.SKYWAY_ARCHIVE_REDACT_PATTERNS) as string[]).map((p) => new RegExp(p, 'g')) : [];
  return {
    keys: [...DEFAULT_REDACTION.keys, ...keys],
    patterns: [...DEFAULT_REDACTION.patterns, ...patterns],
    maxStringLength: Number(env.SKYWAY_ARCHIVE_MAX_STRING ?? DEFAULT_REDACTION.maxStringLength),
  };
}

/** A redactor bound to `rules`: returns a redacted copy, never mutates its input. */
export function redactor(rules: RedactionRules): (value: unknown) => unknown {
  const keys = new Set(rules.keys.map((k) => k.toLowerCase()));
  const patterns = rules.patterns.map((p) => (p.flags.includes('g') ? p : new RegExp(p.source, p.flags + 'g')));
  const str = (s: string): string => {
    let out = s.length > rules.maxStringLength ? s.slice(0, rules.maxStringLength) + '…[TRUNCATED]' : s;
    for (const p of patterns) out = out.replace(p, MARK);
    return out;
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return str(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth > 64) return MARK; // pathological nesting: refuse rather than recurse without bound
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = keys.has(k.toLowerCase()) ? MARK : walk(x, depth + 1);
    return out;
  };
  return (v) => walk(v, 0);
}
