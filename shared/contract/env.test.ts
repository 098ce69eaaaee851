/**
 * The contract test: the gateway reads only variables that shared/contract declares, every declared variable has
 * a role and a description, and the readers follow the contract's defaults.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../test-support/paths.js';
import { ENV, type EnvVarSpec, isContractEnv, PORTS, requiredInAws } from './index.js';
import { envReads, productFiles } from '../../test-support/env-reads.js';

describe('environment contract', () => {
  it('lists every variable the gateway source reads (regional/src, shared)', () => {
    const root = repoRoot();
    const reads = envReads([...productFiles(join(root, 'regional/src')), ...productFiles(join(root, 'edge/publisher'))], root);
    assert.ok(reads.size > 40, `the scanner finds the gateway's reads (${reads.size})`);
    const undeclared = [...reads].filter(([name]) => !isContractEnv(name)).map(([name, where]) => `${name} (${[...new Set(where)].join(', ')})`);
    assert.deepEqual(undeclared, [], 'read by the gateway but not declared in shared/contract/env.ts');
  });

  it('the scanner finds an undeclared read (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skyway-contract-'));
    try {
      writeFileSync(join(dir, 'x.ts'), "const a = process.env.SKYWAY_NOT_DECLARED; const b = int(env, 'SKYWAY_ALSO_NOT', 1); const c = env['PORT'];\n");
      const names = [...envReads(productFiles(dir), dir).keys()].sort();
      assert.deepEqual(names, ['PORT', 'SKYWAY_ALSO_NOT', 'SKYWAY_NOT_DECLARED']);
      assert.deepEqual(names.filter((n) => !isContractEnv(n)), ['SKYWAY_ALSO_NOT', 'SKYWAY_NOT_DECLARED']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('declares a role, a description and a coherent AWS presence for every variable', () => {
    for (const [name, spec] of Object.entries(ENV) as Array<[string, EnvVarSpec]>) {
      assert.ok(spec.roles.length > 0 && spec.description.length > 5, name);
      if (spec.secret) assert.ok(spec.aws === 'required' || spec.aws === 'optional', `${name}: a secret comes from the task definition`);
    }
    assert.equal(ENV.PORT.default, String(PORTS.api));
    assert.equal(ENV.ADMIN_PORT.default, String(PORTS.admin));
    assert.equal(ENV.SKYWAY_METRICS_PORT.default, String(PORTS.metrics));
    for (const n of ['SKYWAY_KEY_SIGNING_SECRETS', 'SKYWAY_MASTER_KEY', 'DATABASE_URL', 'REDIS_URL']) assert.ok(requiredInAws('api').includes(n as never) && requiredInAws('admin').includes(n as never), n);
    assert.ok(requiredInAws('api').includes('SKYWAY_REPLICAS') && requiredInAws('api').includes('SKYWAY_CACHE_REDIS_URL'));
  });

  it('settings read the contract defaults', async () => {
    const { readSettings } = await import('../../regional/src/config/settings.js');
    const s = readSettings({});
    assert.equal(s.port, PORTS.api);
    assert.equal(s.adminPort, PORTS.admin);
    assert.equal(s.metricsPort, PORTS.metrics);
    assert.equal(s.maxBodyBytes, Number(ENV.SKYWAY_MAX_BODY_BYTES.default));
    assert.equal(s.drainTimeoutMs, Number(ENV.SKYWAY_DRAIN_TIMEOUT_MS.default));
  });
});
