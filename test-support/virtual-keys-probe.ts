/**
 * A second gateway process for regional/src/auth/virtual-keys.test.ts: an authenticator sharing Postgres and Redis with the test.
 * Reads one token per stdin line, answers one JSON line each (`{ok, keyId}` or `{status, code}`); prints
 * `ready` once its change subscription is live. Its cache TTLs are huge, so only a change event can make it
 * notice a revocation.
 *
 * env: DATABASE_URL, REDIS_URL, SKYWAY_KEY_SIGNING_SECRETS, CHANGE_CHANNEL
 */
import { createInterface } from 'node:readline';
import { createPool } from '../regional/src/db/pool.js';
import { GatewayError } from '../regional/src/errors/catalogue.js';
import { RedisChangeBus } from '../regional/src/keys/events.js';
import { parseSigningSecrets } from '../regional/src/keys/signing-secrets.js';
import { VirtualKeyAuthenticator } from '../regional/src/auth/virtual-keys.js';

const db = createPool(process.env.DATABASE_URL!, { max: 2 });
const bus = new RedisChangeBus(process.env.REDIS_URL!, { channel: process.env.CHANGE_CHANNEL! });
const auth = new VirtualKeyAuthenticator({ db, bus, secrets: parseSigningSecrets(process.env.SKYWAY_KEY_SIGNING_SECRETS!), ttlMs: 3_600_000, fallbackTtlMs: 3_600_000 });
await bus.ready();
process.stdout.write('ready\n');

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  try {
    const p = await auth.authenticate(line.trim());
    process.stdout.write(JSON.stringify({ ok: true, keyId: p.keyId }) + '\n');
  } catch (err) {
    const e = err instanceof GatewayError ? { status: err.status, code: err.code } : { status: 0, code: String(err) };
    process.stdout.write(JSON.stringify({ ok: false, ...e }) + '\n');
  }
}
await auth.close();
await bus.close();
await db.end();
