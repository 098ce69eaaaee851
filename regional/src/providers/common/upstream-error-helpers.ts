/** Helpers shared by the adapters' error translators. */

type Headers = Record<string, string | string[] | undefined>;

export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `retry-after` (and Azure's `retry-after-ms`) to pass on to the client and the router. */
export function retryAfterHeaders(headers: Headers): Record<string, string> | undefined {
  const ms = header(headers, 'retry-after-ms');
  const s = header(headers, 'retry-after');
  if (s) return { 'retry-after': s };
  if (ms && Number.isFinite(Number(ms))) return { 'retry-after': String(Math.ceil(Number(ms) / 1000)) };
  return undefined;
}

/** Provider messages that mean "the prompt does not fit this model's context window". */
export const CONTEXT_WINDOW_PATTERN =
  /prompt is too long|context length|context window|maximum context|too many (input )?tokens|input is too long|exceeds the maximum number of tokens|input token count.*exceeds/i;

/** The body as text, truncated, for error messages. */
export function bodySnippet(body: Buffer): string {
  const s = body.toString('utf8');
  return s.length > 500 ? s.slice(0, 500) + '…' : s;
}

export function tryJson<T>(body: Buffer): T | undefined {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
