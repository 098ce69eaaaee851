import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, resolveConfig, type ResolveOptions } from './load.js';

const opts = (env: Record<string, string> = {}, secrets: Record<string, string> = {}): ResolveOptions => ({
  env,
  secrets,
  nativeProviders: new Set(['anthropic']),
  defaultTimeoutMs: 1000,
});

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('resolves models, defaults and keys from the environment and the secrets file', () => {
    const raw = parseConfig(
      `models:
  - name: gpt-4o
    deployments:
      - provider: openai
        model: gpt-4o-2024-08-06
        api_key_env: OPENAI_API_KEY
        weight: 3
      - provider: groq
        model: llama
        api_key_secret: groq
        timeout_ms: 500
`,
      't.yaml',
    );
    const table = resolveConfig(raw, 't.yaml', opts({ OPENAI_API_KEY: 'sk-a' }, { groq: 'gsk-b' }));
    const [a, b] = table.models.get('gpt-4o')!.deployments;
    assert.equal(a!.apiBase, 'https://api.openai.com/v1');
    assert.equal(a!.apiKey, 'sk-a');
    assert.equal(a!.weight, 3);
    assert.equal(a!.timeoutMs, 1000);
    assert.equal(a!.id, 'gpt-4o/0');
    assert.equal(b!.apiBase, 'https://api.groq.com/openai/v1');
    assert.equal(b!.apiKey, 'gsk-b');
    assert.equal(b!.timeoutMs, 500);
  });

  it('reports every problem with its exact path', () => {
    const problems = problemsOf(() =>
      parseConfig(
        `models:
  - name: a
    deployments:
      - provider: openai
        model: m
        api_base: not a url
        weight: -1
  - name: b
    deployments: []
`,
        't.yaml',
      ),
    );
    assert.ok(problems.some((p) => p.startsWith('models[0].deployments[0].api_base:')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('models[0].deployments[0].weight:')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('models[1].deployments:')), problems.join('\n'));
  });

  it('refuses literal API keys, unknown fields, unknown providers and missing variables', () => {
    const literal = problemsOf(() => parseConfig('models:\n  - name: a\n    deployments:\n      - {provider: openai, model: m, api_key: sk-123}\n', 't'));
    assert.match(literal.join(), /models\[0\]\.deployments\[0\]\.api_key: literal API keys are not accepted/);
    const unknownField = problemsOf(() => parseConfig('models:\n  - name: a\n    deployments:\n      - {provider: openai, model: m, wieght: 2}\n', 't'));
    assert.match(unknownField.join(), /models\[0\]\.deployments\[0\]/);
    const raw = parseConfig(
      'models:\n  - name: a\n    deployments:\n      - {provider: nope, model: m}\n      - {provider: openai, model: m, api_key_env: MISSING_KEY}\n      - {provider: vllm, model: m}\n',
      't',
    );
    const problems = problemsOf(() => resolveConfig(raw, 't', opts()));
    assert.match(problems.join('\n'), /models\[0\]\.deployments\[0\]\.provider: unknown provider 'nope'/);
    assert.match(problems.join('\n'), /models\[0\]\.deployments\[1\]\.api_key_env: environment variable MISSING_KEY is not set/);
    assert.match(problems.join('\n'), /models\[0\]\.deployments\[2\]\.api_base: provider 'vllm' needs an api_base/);
  });

  it('reports YAML syntax errors', () => {
    const problems = problemsOf(() => parseConfig('models:\n  - name: [unclosed\n', 't'));
    assert.ok(problems.length > 0);
  });
});
