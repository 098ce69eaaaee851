/**
 * Helpers for end-to-end tests that drive real gateway processes through their admin API (keys-e2e, edge-e2e):
 * JSON calls with the master key, waiting for the admin listener, and checking OpenAI-shaped errors.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { GatewayProcess } from './gateway.js';

export interface OpenAiErrorBody {
  message: string;
  type: string;
  code: string | null;
  param: string | null;
}

/** A virtual key as the admin API returns it at creation (the plaintext `key` appears only here). */
export interface CreatedKey {
  id: string;
  key: string;
  status: string;
  hint: string;
  grace_expires_at: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  actor_kind: string;
  action: string;
  entity_type: string;
  entity_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** A value for SKYWAY_KEY_SIGNING_SECRETS shared by every process of one test. */
export function signingSecretsEnv(version = 1): string {
  return `${version}:${randomBytes(32).toString('hex')}`;
}

/**
 * Wait until the admin listener answers. A process starts it before its API listener, so this returns at once
 * after startGatewayProcess; it is the check that the process really plays the admin role.
 */
export async function waitForAdmin(gw: GatewayProcess, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(gw.adminUrl + '/health/readiness');
      await r.body?.cancel();
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error(`admin listener at ${gw.adminUrl} did not become ready: ${gw.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Call the admin API with the master key; returns status and parsed JSON body. */
export async function admin<T = unknown>(gw: GatewayProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(gw.adminUrl + path, {
    method,
    headers: { authorization: `Bearer ${gw.masterKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Like admin(), but asserts the expected status and returns the body. */
export async function adminOk<T = unknown>(gw: GatewayProcess, method: string, path: string, body: unknown, status: number): Promise<T> {
  const r = await admin<T>(gw, method, path, body);
  assert.equal(r.status, status, `${method} ${path}: expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Every audit entry of one entity, oldest first. */
export async function auditOf(gw: GatewayProcess, entityType: string, entityId: string): Promise<AuditEntry[]> {
  const page = await adminOk<{ data: AuditEntry[] }>(gw, 'GET', `/admin/audit?entity_type=${entityType}&entity_id=${entityId}&limit=100`, undefined, 200);
  return page.data.reverse();
}

/** Assert an OpenAI-shaped error with this status and code; returns the error object. */
export async function expectOpenAiError(res: Response, status: number, code: string): Promise<OpenAiErrorBody> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = JSON.parse(text) as { error: OpenAiErrorBody };
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, code, `expected code ${code}: ${text}`);
  assert.ok(body.error.message.length > 10, 'the message says what is wrong');
  return body.error;
}

export const CHAT_BODY = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 4 });

/** POST a small chat completion for model mock-1 with `key` as bearer token. */
export function chat(baseUrl: string, key: string, body: string = CHAT_BODY): Promise<Response> {
  return fetch(baseUrl + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
  });
}

/** Chat call that must succeed; drains the body. */
export async function chatOk(baseUrl: string, key: string): Promise<void> {
  const res = await chat(baseUrl, key);
  const text = await res.text();
  assert.equal(res.status, 200, `expected 200, got ${res.status}: ${text}`);
  assert.equal((JSON.parse(text) as { object: string }).object, 'chat.completion');
}

/**
 * Call chat with `key` every `everyMs` until it is answered with something other than 200, or until
 * `deadline` (epoch ms) has passed. Returns the first non-200 answer (body unread); fails the test if none came.
 */
export async function firstRejection(baseUrl: string, key: string, deadline: number, what: string, everyMs = 50): Promise<Response> {
  for (;;) {
    const res = await chat(baseUrl, key);
    if (res.status !== 200) return res;
    await res.body?.cancel();
    const now = Date.now();
    if (now > deadline) assert.fail(`${what}: still accepted ${now - deadline} ms after the deadline`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
