/**
 * The KVS publisher (runs in the `admin` role): turns admin decisions — revocations, blocks, home regions,
 * signing-secret versions, region health — into KeyValueStore entries the viewer-request function reads.
 *
 * Changes are queued and sent in batches of at most 50 keys per UpdateKeys, with the store's ETag in IfMatch;
 * on a conflict (another writer got in first) the batch is re-read and retried. Entries carry the expiry of their
 * key, and expired ones are pruned when the store would exceed 5 MB (and whenever prune() is called), so
 * revocations of keys that have expired anyway do not fill the store.
 */
import { KvsConflictError, KvsQuotaError, type KvsBackend } from './backend.js';
import { encodeKeyState, KVS_LIMITS, kvsKey, parseJson, type KeyState, type RegionEntry, type RegionTable } from './entries.js';
import { createHash } from 'node:crypto';
import { assertSigningSecret, isKeyId } from '../../shared/keys/key-format.js';

/** The store is full even after pruning expired entries: the change was not published. */
export class KvsFullError extends Error {
  override readonly name = 'KvsFullError';
}

/** Computes the new value of one entry from its current value: a string to put, null to delete, undefined for no change. */
type Compute = (current: string | undefined) => string | null | undefined;

interface Change {
  key: string;
  compute: Compute;
  /** Whether compute reads the current value (then it is fetched first). */
  reads: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface PublisherOptions {
  /** Attempts per batch on ETag conflicts. @default 8 */
  maxConflictRetries?: number;
  /** Clock in epoch seconds (tests). */
  now?: () => number;
}

export interface RegionHealth {
  healthy: boolean;
  /** @default 1 */
  weight?: number;
  near?: string[];
  originId?: string;
  /** Publication time in epoch seconds: the edge treats the row as down once it is stale. Absent = static row. */
  at?: number;
  /** 5xx rate over the publisher's window (0..1), shown to operators. */
  errorRate?: number;
}

const toEpoch = (d: Date | number | null | undefined): number | undefined =>
  d === null || d === undefined ? undefined : typeof d === 'number' ? d : Math.floor(d.getTime() / 1000);

export class EdgePublisher {
  private queue: Change[] = [];
  private flushing: Promise<void> | undefined;
  private readonly maxRetries: number;
  private readonly now: () => number;

  constructor(private readonly backend: KvsBackend, opts: PublisherOptions = {}) {
    this.maxRetries = opts.maxConflictRetries ?? 8;
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  // ── the admin role's API ────────────────────────────────────────────────────────────────────────────

  /** The edge answers 401 for this key from now on. `expiresAt`: the key's own expiry, after which the entry is pruned. */
  revoke(keyId: string, expiresAt?: Date | number | null): Promise<void> {
    checkKeyId(keyId);
    const x = toEpoch(expiresAt);
    return this.change(kvsKey.keyState(keyId), false, () => encodeKeyState({ s: 'r', ...(x !== undefined ? { x } : {}) }));
  }

  /** The edge answers 403 for this key until unblock. */
  block(keyId: string, expiresAt?: Date | number | null): Promise<void> {
    checkKeyId(keyId);
    const x = toEpoch(expiresAt);
    return this.updateKeyState(keyId, (st) => (st.s === 'r' ? st : { ...st, s: 'b', ...(x !== undefined ? { x } : {}) }));
  }

  unblock(keyId: string): Promise<void> {
    checkKeyId(keyId);
    return this.updateKeyState(keyId, (st) => (st.s === 'b' ? { ...st, s: undefined } : st));
  }

  /** Pin a key to a region (data residency); null removes the pin. */
  setHomeRegion(keyId: string, region: string | null, expiresAt?: Date | number | null): Promise<void> {
    checkKeyId(keyId);
    const x = toEpoch(expiresAt);
    return this.updateKeyState(keyId, (st) => ({ ...st, h: region ?? undefined, ...(x !== undefined ? { x } : {}) }));
  }

  /** Publish a signing-secret version. Do this before minting keys with it. */
  setSigningSecret(version: number, secret: string): Promise<void> {
    assertSigningSecret(secret);
    checkVersion(version);
    return this.change(kvsKey.signingSecret(version), false, () => secret);
  }

  /** Keys of this version are rejected at the edge from now on. */
  retireSigningSecret(version: number): Promise<void> {
    checkVersion(version);
    return this.change(kvsKey.signingSecret(version), true, (cur) => (cur === undefined ? undefined : null));
  }

  setRegionHealth(region: string, health: RegionHealth): Promise<void> {
    if (!/^[a-z0-9-]{1,40}$/.test(region)) throw new RangeError(`invalid region name: ${region}`);
    const entry: RegionEntry = { w: health.weight ?? 1, up: health.healthy ? 1 : 0 };
    if (!(entry.w > 0)) throw new RangeError('weight must be > 0');
    if (health.near?.length) entry.near = health.near;
    if (health.originId) entry.o = health.originId;
    if (health.at !== undefined) entry.t = Math.floor(health.at);
    if (health.errorRate !== undefined) entry.e = Math.round(health.errorRate * 100) / 100;
    return this.change(kvsKey.regions, true, (cur) => {
      const table = parseJson<RegionTable>(cur) ?? {};
      table[region] = entry;
      return JSON.stringify(table);
    });
  }

  removeRegion(region: string): Promise<void> {
    return this.change(kvsKey.regions, true, (cur) => {
      const table = parseJson<RegionTable>(cur) ?? {};
      if (!(region in table)) return undefined;
      delete table[region];
      return JSON.stringify(table);
    });
  }

  /** The value the function puts in `x-skyway-origin-verify` (the regional gateway's SKYWAY_ORIGIN_VERIFY_SECRET). */
  setOriginVerifySecret(secret: string): Promise<void> {
    if (!/^[\x21-\x7e]{16,512}$/.test(secret)) throw new RangeError('origin-verify secret must be 16..512 printable ASCII characters');
    return this.change(kvsKey.originVerify, false, () => secret);
  }

  /** Let the master key through the edge (only its SHA-256 is published). */
  setMasterKey(masterKey: string): Promise<void> {
    return this.change(kvsKey.masterKeyHash, false, () => createHash('sha256').update(masterKey).digest('hex'));
  }

  /** Delete key entries whose key has expired. Returns how many were deleted. */
  async prune(): Promise<number> {
    const now = this.now();
    const expired: string[] = [];
    for await (const { key, value } of this.backend.list()) {
      if (!key.startsWith('k:')) continue;
      const st = parseJson<KeyState>(value);
      if (st?.x !== undefined && st.x <= now) expired.push(key);
    }
    // Deletes go through the same batching; an entry rewritten meanwhile with a later expiry survives.
    await Promise.all(
      expired.map((key) =>
        this.change(key, true, (cur) => {
          const st = parseJson<KeyState>(cur);
          return st?.x !== undefined && st.x <= now ? null : undefined;
        }),
      ),
    );
    return expired.length;
  }

  /** Resolves when everything queued so far is published. */
  async flush(): Promise<void> {
    while (this.flushing || this.queue.length) await (this.flushing ?? this.startFlush());
  }

  // ── batching ──────────────────────────────────────────────────────────────────────────────────────────

  private updateKeyState(keyId: string, f: (st: KeyState) => KeyState): Promise<void> {
    return this.change(kvsKey.keyState(keyId), true, (cur) => {
      const before = parseJson<KeyState>(cur) ?? {};
      const after = encodeKeyState(f(before));
      if (after === (cur ?? null)) return undefined;
      return after === null && cur === undefined ? undefined : after;
    });
  }

  private change(key: string, reads: boolean, compute: Compute): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, compute, reads, resolve, reject });
      if (!this.flushing) queueMicrotask(() => void this.startFlush());
    });
  }

  private startFlush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      try {
        while (this.queue.length) await this.publishBatch(this.takeBatch());
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** The longest prefix of the queue that touches at most 50 distinct KVS keys. */
  private takeBatch(): Change[] {
    const keys = new Set<string>();
    let n = 0;
    while (n < this.queue.length) {
      const k = this.queue[n]!.key;
      if (!keys.has(k) && keys.size === KVS_LIMITS.batch) break;
      keys.add(k);
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async publishBatch(batch: Change[]): Promise<void> {
    try {
      let pruned = false;
      for (let attempt = 1; ; attempt++) {
        const { etag } = await this.backend.describe();
        const { puts, deletes } = await this.compute(batch);
        if (puts.length === 0 && deletes.length === 0) break;
        try {
          await this.backend.update(etag, puts, deletes);
          break;
        } catch (err) {
          if (err instanceof KvsConflictError && attempt < this.maxRetries) {
            await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** attempt) * Math.random()));
            continue;
          }
          if (err instanceof KvsQuotaError && !pruned) {
            pruned = true;
            if ((await this.pruneOutsideQueue()) > 0) continue;
          }
          if (err instanceof KvsQuotaError) throw new KvsFullError(`edge KVS is full (5 MB) even after pruning expired entries: ${err.message}`);
          throw err;
        }
      }
      for (const c of batch) c.resolve();
    } catch (err) {
      for (const c of batch) c.reject(err as Error);
    }
  }

  /** prune() for use inside a flush (it cannot wait on the queue it is part of). */
  private async pruneOutsideQueue(): Promise<number> {
    const now = this.now();
    const expired: string[] = [];
    for await (const { key, value } of this.backend.list()) {
      const st = key.startsWith('k:') ? parseJson<KeyState>(value) : undefined;
      if (st?.x !== undefined && st.x <= now) expired.push(key);
    }
    for (let i = 0; i < expired.length; i += KVS_LIMITS.batch) {
      const chunk = expired.slice(i, i + KVS_LIMITS.batch);
      for (let attempt = 1; ; attempt++) {
        try {
          await this.backend.update((await this.backend.describe()).etag, [], chunk);
          break;
        } catch (err) {
          if (!(err instanceof KvsConflictError) || attempt >= this.maxRetries) throw err;
        }
      }
    }
    return expired.length;
  }

  /** Apply the batch's changes, in order, to the current values (read once per key, when a change needs it). */
  private async compute(batch: Change[]): Promise<{ puts: Array<{ key: string; value: string }>; deletes: string[] }> {
    const state = new Map<string, { value: string | undefined; changed: boolean }>();
    for (const c of batch) {
      let s = state.get(c.key);
      if (!s) {
        s = { value: c.reads ? await this.backend.get(c.key) : undefined, changed: false };
        state.set(c.key, s);
      }
      const next = c.compute(s.value);
      if (next === undefined) continue;
      s.value = next ?? undefined;
      s.changed = true;
    }
    const puts: Array<{ key: string; value: string }> = [];
    const deletes: string[] = [];
    for (const [key, s] of state) {
      if (!s.changed) continue;
      if (s.value === undefined) {
        deletes.push(key);
        continue;
      }
      if (Buffer.byteLength(key) > KVS_LIMITS.keyBytes || Buffer.byteLength(s.value) > KVS_LIMITS.valueBytes) {
        throw new RangeError(`KVS entry ${key} exceeds the key (${KVS_LIMITS.keyBytes}) or value (${KVS_LIMITS.valueBytes}) size limit`);
      }
      puts.push({ key, value: s.value });
    }
    return { puts, deletes };
  }
}

function checkKeyId(keyId: string): void {
  if (!isKeyId(keyId)) throw new RangeError(`not a Skyway key id: ${keyId}`);
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > 1295) throw new RangeError(`signing-secret version must be 1..1295`);
}
