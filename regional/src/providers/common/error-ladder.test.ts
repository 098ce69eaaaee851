/** The five providers' error translators end in one ladder: the same failure is the same catalogue error. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment } from '../adapter.js';
import { adapterFor } from '../registry.js';

const d = { id: 'x/0', provider: 'openai', upstreamModel: 'm', apiBase: 'https://example.invalid', apiKey: undefined, weight: 1, timeoutMs: 1000, headers: {}, options: {} } as unknown as Deployment;

/** One error body per provider, in its own wire shape. */
const bodies: Record<string, (message: string, type?: string) => string> = {
  openai: (message) => JSON.stringify({ error: { message, type: 'invalid_request_error' } }),
  azure: (message) => JSON.stringify({ error: { message, code: 'BadRequest' } }),
  anthropic: (message, type = 'invalid_request_error') => JSON.stringify({ type: 'error', error: { type, message } }),
  bedrock: (message) => JSON.stringify({ message }),
  gemini: (message) => JSON.stringify({ error: { code: 400, message, status: 'INVALID_ARGUMENT' } }),
};

function decide(provider: string, status: number, body: string) {
  const e = adapterFor(provider).translateError(status, Buffer.from(body), {}, { ...d, provider });
  return { name: e.name, status: e.status, code: e.code };
}

describe('upstream error ladder', () => {
  for (const provider of Object.keys(bodies)) {
    it(`${provider}: auth, rate limit, server, context window and plain client errors decide alike`, () => {
      const b = bodies[provider]!;
      assert.deepEqual(decide(provider, 401, b('bad key')), { name: 'UpstreamAuthFailed', status: 502, code: 'upstream_authentication_failed' });
      assert.deepEqual(decide(provider, 429, b('slow down')), { name: 'UpstreamRateLimited', status: 429, code: 'upstream_rate_limited' });
      assert.deepEqual(decide(provider, 500, b('boom')), { name: 'UpstreamServerError', status: 502, code: 'upstream_server_error' });
      assert.equal(decide(provider, 400, b('prompt is too long: 300000 tokens > 200000 maximum')).code, 'context_length_exceeded');
      assert.equal(decide(provider, 400, b('temperature must be at most 2')).status, 400);
    });
  }
});

describe('deployments that hide upstream error bodies (admin-added)', () => {
  const SECRET = 'internal host db-7.corp.example leaked sk-live-abc123';
  for (const provider of Object.keys(bodies)) {
    it(`${provider}: status and code are kept, the upstream's message never reaches the client`, () => {
      const b = bodies[provider]!;
      const hidden = { ...d, provider, hideUpstreamErrorBodies: true } as Deployment;
      const shown = { ...d, provider } as Deployment;
      for (const [status, text] of [[400, SECRET], [404, SECRET], [429, SECRET], [500, SECRET], [400, `prompt is too long: 300000 tokens > 200000 maximum ${SECRET}`]] as const) {
        const plain = adapterFor(provider).translateError(status, Buffer.from(b(text)), {}, shown);
        const e = adapterFor(provider).translateError(status, Buffer.from(b(text)), {}, hidden);
        assert.equal(e.status, plain.status, `${provider} ${status}: status kept`);
        assert.equal(e.code, plain.code, `${provider} ${status}: code kept`);
        assert.ok(plain.message.includes('db-7.corp.example'), 'the flag is what hides it');
        assert.ok(!e.toJSON().includes('db-7') && !e.toJSON().includes('sk-live'), `${provider} ${status}: ${e.toJSON()}`);
        assert.match(e.message, new RegExp(`HTTP ${status}`));
      }
    });
  }
});
