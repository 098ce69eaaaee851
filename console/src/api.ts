/** The admin API as the console uses it: same origin, the session cookie, and the CSRF header on every call. */
export interface Session {
  actor: string;
  actor_kind: string;
  role: 'admin' | 'viewer' | 'member';
  team_id: string | null;
  expires_at: string | null;
  csrf_token: string | null;
}

export interface ListPage<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
    /** The request field the error is about (`budget.max_usd`), when the API names one. */
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

let csrf: string | null = null;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrf) headers['x-skyway-csrf'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body), credentials: 'same-origin' });
  const json = (await res.json().catch(() => ({}))) as { error?: { message?: string; code?: string | null; param?: string | null } };
  if (!res.ok) throw new ApiError(res.status, json.error?.message ?? `HTTP ${res.status}`, json.error?.code ?? null, json.error?.param ?? null);
  return json as T;
}

export const api = {
  get: <T>(path: string, query: Record<string, string | number | undefined> = {}) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
    const s = q.toString();
    return call<T>('GET', s ? `${path}?${s}` : path);
  },
  post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

export async function currentSession(): Promise<Session | null> {
  try {
    const s = await call<Session>('GET', '/admin/session');
    csrf = s.csrf_token;
    return s;
  } catch {
    return null;
  }
}

export async function signIn(credential: string): Promise<Session> {
  const s = await call<Session>('POST', '/admin/session', { credential });
  csrf = s.csrf_token;
  return s;
}

export async function signOut(): Promise<void> {
  await call('DELETE', '/admin/session').catch(() => undefined);
  csrf = null;
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function daysAgo(n: number): string {
  return isoDay(new Date(Date.now() - n * 86_400_000));
}

/** Dollars: cents above $1, three significant digits below (LLM spend is often fractions of a cent). */
export const usd = (n: number) => (n === 0 ? '$0' : Math.abs(n) < 1 ? `$${Number(n.toPrecision(3))}` : `$${n.toFixed(2)}`);
