/**
 * The region's change bus with the cross-region feed folded in: subscribers hear events published in this
 * region (Redis pub/sub, immediate) and changes read from the config store's feed (every region, after
 * replication). A change made in this region arrives twice; a second cache drop costs one reload.
 *
 * `live` is false while either path is down, so key caches fall back to their short TTL (the authenticator's
 * `fallbackTtlMs`), as they already do when Redis is away; the feed's recovery triggers a resync (caches start
 * over), since changes may have been missed meanwhile.
 */
import type { ChangeBus, ChangeEvent, ChangeHandler } from '../events.js';
import { ChangeFeedPoller, type ChangeFeedOptions } from './poller.js';

export class FeedChangeBus implements ChangeBus {
  readonly #inner: ChangeBus;
  readonly #handlers = new Set<ChangeHandler>();
  readonly #resync = new Set<() => void>();
  readonly poller: ChangeFeedPoller;

  constructor(inner: ChangeBus, feed: Omit<ChangeFeedOptions, 'deliver' | 'onRecovered'> & { onRecovered?: () => void }) {
    this.#inner = inner;
    this.poller = new ChangeFeedPoller({
      ...feed,
      deliver: (e) => this.deliverLocally(e),
      onRecovered: () => {
        feed.onRecovered?.();
        for (const h of this.#resync) h();
      },
    });
  }

  get live(): boolean {
    return this.#inner.live && this.poller.healthy;
  }

  /** Start polling (from the feed's newest row). */
  start(): Promise<void> {
    return this.poller.start();
  }

  publish(e: ChangeEvent): Promise<void> {
    return this.#inner.publish(e);
  }

  subscribe(handler: ChangeHandler): () => void {
    this.#handlers.add(handler);
    const off = this.#inner.subscribe(handler);
    return () => {
      this.#handlers.delete(handler);
      off();
    };
  }

  onResync(handler: () => void): () => void {
    this.#resync.add(handler);
    const off = this.#inner.onResync(handler);
    return () => {
      this.#resync.delete(handler);
      off();
    };
  }

  /** Hand a change to this process's subscribers only (it is not published again). */
  deliverLocally(e: ChangeEvent): void {
    for (const h of this.#handlers) {
      try {
        h(e);
      } catch {
        /* one subscriber's failure must not starve the others */
      }
    }
  }

  async close(): Promise<void> {
    this.poller.stop();
    this.#handlers.clear();
    this.#resync.clear();
    await this.#inner.close();
  }
}
