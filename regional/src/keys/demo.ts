/** The demo team and key that the local stack creates on first start (README quick start). */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { writeAudit, type Actor } from '../db/audit.js';
import { inTransaction } from '../db/pool.js';
import { localChangeBus, type ChangeBus } from './events.js';
import { hashKey, keyIdOf } from './format.js';
import { keyStatus, type KeyRow, type TeamRow } from './records.js';
import { KeyService } from './service.js';
import { loadSigningSecrets, type SigningSecrets } from './signing-secrets.js';

export const DEMO_MODELS = ['mock-1', 'mock-embed'] as const;
const DEMO_ACTOR: Actor = { id: 'system:demo', kind: 'system' };

/**
 * The demo key: the one in `<dataDir>/demo-key` while it is still valid in the database, else a new one for
 * team `demo` allowed to use `mock-1` and `mock-embed`, written to that file (mode 0600). Returns the plaintext.
 * Signing secrets come from SKYWAY_KEY_SIGNING_SECRETS or `<dataDir>/key-signing-secret`.
 *
 * @example const key = await ensureDemoKey(db, dataDir); console.log(`demo key: ${key}`);
 */
export async function ensureDemoKey(db: pg.Pool, dataDir: string, opts: { secrets?: SigningSecrets; bus?: ChangeBus } = {}): Promise<string> {
  const file = join(dataDir, 'demo-key');
  if (existsSync(file)) {
    const existing = readFileSync(file, 'utf8').trim();
    const keyId = keyIdOf(existing);
    if (keyId) {
      const row = (await db.query('select * from virtual_keys where id = $1', [keyId])).rows[0] as KeyRow | undefined;
      if (row && row.key_hash === hashKey(existing) && keyStatus(row) === 'active') return existing;
    }
  }
  const secrets = opts.secrets ?? loadSigningSecrets(process.env, dataDir);
  const team = await inTransaction(db, async (c) => {
    const found = (await c.query('select * from teams where name = $1', ['demo'])).rows[0] as TeamRow | undefined;
    if (found) return found;
    const created = (
      await c.query('insert into teams (id, name, metadata) values ($1, $2, $3) returning *', [`team_${randomBytes(6).toString('hex')}`, 'demo', JSON.stringify({ purpose: 'local demo' })])
    ).rows[0] as TeamRow;
    await writeAudit(c, DEMO_ACTOR, { action: 'team.create', entityType: 'team', entityId: created.id, before: null, after: created });
    return created;
  });
  const keys = new KeyService({ db, bus: opts.bus ?? localChangeBus, secrets });
  // The alias is unique: a previous demo key (lost file, or revoked) gives it up.
  await db.query("update virtual_keys set alias = null where alias = 'demo'");
  const { key } = await keys.create(DEMO_ACTOR, { alias: 'demo', team_id: team.id, models: [...DEMO_MODELS], metadata: { purpose: 'local demo' } });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, key + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
