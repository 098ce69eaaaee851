/** The embedded response cache: an in-process LRU bounded by total size, with per-entry expiry. */
import type { CachedResponse, ResponseCache } from './types.js';

interface Slot {
  value: CachedResponse;
  expires: number;
  size: number;
}

export class MemoryResponseCache implements ResponseCache {
  private readonly map = new Map<string, Slot>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = 64 << 20,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(key: string): Promise<CachedResponse | undefined> {
    const slot = this.map.get(key);
    if (!slot) return undefined;
    this.map.delete(key);
    if (slot.expires <= this.now()) {
      this.bytes -= slot.size;
      return undefined;
    }
    this.map.set(key, slot); // most recently used goes last
    return slot.value;
  }

  async store(key: string, value: CachedResponse, ttlSeconds: number): Promise<void> {
    const size = value.body.length + key.length + 64;
    if (ttlSeconds <= 0 || size > this.maxBytes) return;
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.size;
      this.map.delete(key);
    }
    this.map.set(key, { value, expires: this.now() + ttlSeconds * 1000, size });
    this.bytes += size;
    for (const [k, s] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= s.size;
    }
  }

  async close(): Promise<void> {
    this.map.clear();
    this.bytes = 0;
  }
}
