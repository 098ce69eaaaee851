/**
 * The region's change bus with the cross-region feed folded in: subscribers hear events published in this
 * region (Redis pub/sub, immediate) and changes read from the config store's feed (every region, after
 * replication). A change made in this region arrives twice; a second cache drop costs one reload.
 *
 * `live` follows the region's bus only. A feed that cannot be read means the local config endpoint is down: no
 * change from another region can reach this one meanwhile (it would come through that endpoint), and key loads
 * fail as in any database outage (cached keys keep their TTL, uncached ones get 503 key_store_unavailable).
 * When the feed can be read again, a resync makes the caches start over, since changes were missed meanwhile.
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
    return this.#inner.live;
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
