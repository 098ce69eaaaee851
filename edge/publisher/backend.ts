/** The few KeyValueStore operations the publisher needs, over AWS or a local file. */

export interface KvsDescription {
  etag: string;
  itemCount: number;
  totalSizeInBytes: number;
}

export interface KvsBackend {
  describe(): Promise<KvsDescription>;
  /** The value, or undefined when the key does not exist. */
  get(key: string): Promise<string | undefined>;
  list(): AsyncIterable<{ key: string; value: string }>;
  /** Atomic: all or nothing. Throws KvsConflictError when `ifMatch` is stale, KvsQuotaError when full. */
  update(ifMatch: string, puts: Array<{ key: string; value: string }>, deletes: string[]): Promise<KvsDescription>;
}

/** Someone else changed the store since our ETag (retry with a fresh one). */
export class KvsConflictError extends Error {
  override readonly name = 'KvsConflictError';
}

/** The change would take the store over its size limit. */
export class KvsQuotaError extends Error {
  override readonly name = 'KvsQuotaError';
}
