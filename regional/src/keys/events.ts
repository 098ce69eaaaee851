/**
 * Change notifications between the admin role and every api replica: a key, team, user or deployment changed,
 * so caches drop it and routing reloads. Over Redis pub/sub when REDIS_URL is set (every replica hears it within
 * a round trip); otherwise in-process only (embedded mode: only components in this same process hear it).
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

// ioredis loads with the first Redis bus (REDIS_URL set): the embedded api never needs it (+6 MB of RSS).
const require = createRequire(import.meta.url);
const newRedis = (url: string, options: RedisOptions): Redis => new (require('ioredis') as typeof import('ioredis')).Redis(url, options);

export type ChangeEvent =
  | { type: 'key'; id: string; action: 'created' | 'updated' | 'revoked' | 'rotated' | 'deleted'; replacedBy?: string; graceExpiresAt?: string | null; expiresAt?: string | null }
  | { type: 'team' | 'user'; id: string; action: 'created' | 'updated' | 'deleted' }
  | { type: 'deployment'; id: string; action: 'created' | 'updated' | 'deleted' };

export type ChangeHandler = (e: ChangeEvent) => void;

export interface ChangeBus {
  publish(e: ChangeEvent): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(handler: ChangeHandler): () => void;
  /** Called when delivery may have had a gap (subscriber reconnected): drop whatever is cached. */
  onResync(handler: () => void): () => void;
  /** Whether events published elsewhere reach this process right now. */
  readonly live: boolean;
  close(): Promise<void>;
}

const PUBLISH_TIMEOUT_MS = 1500;

/** Default channel; tests pass a prefix so that they do not hear each other. */
export const CHANGE_CHANNEL = 'skyway:changes';

/** Process-wide bus for embedded mode (admin server and gateway in one process). */
class LocalChangeBus implements ChangeBus {
  readonly live = true;
  readonly #emitter = new EventEmitter();
  constructor() {
    this.#emitter.setMaxListeners(0);
  }
  async publish(e: ChangeEvent): Promise<void> {
    this.#emitter.emit('change', e);
  }
  subscribe(handler: ChangeHandler): () => void {
    this.#emitter.on('change', handler);
    return () => this.#emitter.off('change', handler);
  }
  onResync(): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {
    /* shared: nothing to close */
  }
}

export const localChangeBus: ChangeBus = new LocalChangeBus();

/** Redis pub/sub bus: one publisher connection, one subscriber connection (opened lazily on first subscribe). */
export class RedisChangeBus implements ChangeBus {
  readonly #url: string;
  readonly #channel: string;
  readonly #handlers = new Set<ChangeHandler>();
  readonly #resync = new Set<() => void>();
  #pub: Redis | undefined;
  #sub: Redis | undefined;
  #live = false;
  #ready: Promise<void> | undefined;

  constructor(url: string, opts: { channel?: string } = {}) {
    this.#url = url;
    this.#channel = opts.channel ?? CHANGE_CHANNEL;
  }

  get live(): boolean {
    return this.#live;
  }

  async publish(e: ChangeEvent): Promise<void> {
    if (!this.#pub) {
      this.#pub = newRedis(this.#url, { lazyConnect: false, maxRetriesPerRequest: 2 });
      // A failed publish rejects to the caller; the connection's own errors need no second report.
      this.#pub.on('error', () => undefined);
    }
    // Bounded: while Redis is unreachable ioredis would queue the command through its reconnect attempts, and
    // the admin waiting on a revocation needs a prompt answer (the caller retries).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis publish timed out after ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.#pub.publish(this.#channel, JSON.stringify(e)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  subscribe(handler: ChangeHandler): () => void {
    this.#handlers.add(handler);
    this.#connectSubscriber();
    return () => this.#handlers.delete(handler);
  }

  onResync(handler: () => void): () => void {
    this.#resync.add(handler);
    return () => this.#resync.delete(handler);
  }

  /** Resolves once the subscription is active (tests and start-up readiness). */
  ready(): Promise<void> {
    this.#connectSubscriber();
    return this.#ready!;
  }

  #connectSubscriber(): void {
    if (this.#sub) return;
    const sub = newRedis(this.#url, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 100, 1000) });
    this.#sub = sub;
    sub.on('error', () => undefined);
    sub.on('close', () => {
      this.#live = false;
    });
    // Each (re)subscription may follow a gap in which events were lost: tell caches to start over.
    const subscribed = () => {
      this.#live = true;
      for (const h of this.#resync) h();
    };
    sub.on('ready', () => {
      // ioredis re-subscribes by itself after a reconnect (autoResubscribe); 'ready' follows it.
      if (this.#ready) subscribed();
    });
    this.#ready = sub.subscribe(this.#channel).then(() => subscribed());
    sub.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      let e: ChangeEvent;
      try {
        e = JSON.parse(message) as ChangeEvent;
      } catch {
        return;
      }
      for (const h of this.#handlers) h(e);
    });
  }

  async close(): Promise<void> {
    this.#live = false;
    // quit() waits for a connection that may never come (Redis down): disconnect at once in that case.
    const end = (c: Redis | undefined) => (c && c.status === 'ready' ? c.quit().then(() => undefined, () => c.disconnect()) : c?.disconnect());
    await Promise.all([end(this.#pub), end(this.#sub)]);
    this.#pub = undefined;
    this.#sub = undefined;
  }
}

/** The bus for this process: Redis when a URL is given, else the in-process one. */
export function changeBus(redisUrl: string | undefined, opts: { channel?: string } = {}): ChangeBus {
  return redisUrl ? new RedisChangeBus(redisUrl, opts) : localChangeBus;
}
