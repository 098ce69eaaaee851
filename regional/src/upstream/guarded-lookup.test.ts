/**
 * DNS rebinding: an upstream name that resolves to a link-local or metadata address is refused when the pool
 * connects, whatever the name looked like when an admin saved it. A resolver is injected (the names below exist
 * only in it), and a real loopback server stands for the upstream.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { LookupAddress } from 'node:dns';
import { GatewayError } from '../errors/catalogue.js';
import type { LookupFunction } from './guarded-lookup.js';
import { UpstreamPools } from './pools.js';

const ZONE: Record<string, LookupAddress[]> = {
  'safe.skyway.test': [{ address: '127.0.0.1', family: 4 }],
  'rebind.skyway.test': [{ address: '169.254.169.254', family: 4 }],
  'ecs-meta.skyway.test': [{ address: '169.254.170.2', family: 4 }],
  'mixed.skyway.test': [{ address: '127.0.0.1', family: 4 }, { address: '169.254.169.254', family: 4 }],
  'v6-meta.skyway.test': [{ address: 'fd00:ec2::254', family: 6 }],
  'v6-link.skyway.test': [{ address: 'fe80::1', family: 6 }],
  'mapped.skyway.test': [{ address: '::ffff:169.254.169.254', family: 6 }],
};

const resolve: LookupFunction = (hostname, options, callback) => {
  const list = ZONE[hostname];
  if (!list) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), options.all ? [] : '');
  if (options.all) callback(null, list);
  else callback(null, list[0]!.address, list[0]!.family);
};

let server: Server;
let port = 0;
let connections = 0;
before(async () => {
  server = createServer((_req, res) => res.end('{"ok":true}'));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function get(pools: UpstreamPools, host: string): Promise<{ status?: number; error?: unknown }> {
  try {
    const res = await pools.get(`http://${host}:${port}`).request({ method: 'GET', path: '/' });
    await res.body.text();
    return { status: res.statusCode };
  } catch (error) {
    return { error };
  }
}

describe('upstream connections resolve through the guarded lookup', () => {
  it('connects to a name that resolves to an ordinary address', async () => {
    const pools = new UpstreamPools({ connections: null, keepAliveTimeoutMs: 1000, resolve });
    try {
      assert.deepEqual(await get(pools, 'safe.skyway.test'), { status: 200 });
    } finally {
      await pools.close();
    }
  });

  for (const host of ['rebind.skyway.test', 'ecs-meta.skyway.test', 'mixed.skyway.test', 'v6-meta.skyway.test', 'v6-link.skyway.test', 'mapped.skyway.test']) {
    it(`refuses ${host} (${ZONE[host]!.map((a) => a.address).join(', ')}) with upstream_address_forbidden`, async () => {
      const pools = new UpstreamPools({ connections: null, keepAliveTimeoutMs: 1000, resolve });
      const before = connections;
      try {
        const r = await get(pools, host);
        assert.ok(r.error instanceof GatewayError, `refused with a catalogue error, got ${String(r.error)}`);
        assert.equal(r.error.code, 'upstream_address_forbidden');
        assert.equal(r.error.status, 502);
        assert.equal(connections, before, 'no connection was made');
      } finally {
        await pools.close();
      }
    });
  }

  it('passes resolver failures through unchanged', async () => {
    const pools = new UpstreamPools({ connections: null, keepAliveTimeoutMs: 1000, resolve });
    try {
      const r = await get(pools, 'nowhere.skyway.test');
      assert.equal((r.error as { code?: string }).code, 'ENOTFOUND');
    } finally {
      await pools.close();
    }
  });
});
