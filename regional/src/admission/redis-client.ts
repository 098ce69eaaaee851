/**
 * The ioredis connection the limiter (and the response cache) use: auto-pipelining on (all commands issued in
 * one event-loop tick go out in one write, so concurrent admissions share a round trip), no offline queue
 * (a call while disconnected fails at once instead of waiting), a command timeout, and endless reconnects.
 *
 * Redis unreachable at start is not fatal: connectRedis returns the client anyway (it keeps reconnecting in
 * the background), so the gateway starts under the limits' failure policy instead of crash-looping through
 * a Redis incident. Callers see `client.status !== 'ready'` and their calls fail fast until it connects.
 *
 * ioredis is imported on the first connection: the embedded mode (no REDIS_URL) never loads it.
 */
import type { Cluster, Redis } from 'ioredis';

export type RedisLike = Redis | Cluster;

export interface RedisClientOptions {
  url: string;
  cluster?: boolean;
  commandTimeoutMs?: number;
}

function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), 2000);
}

/**
 * Connect and wait until ready (so the first admissions do not fail for want of a connection); when the first
 * attempt fails, `onUnreachable` is told and the client is returned still reconnecting.
 */
export async function connectRedis(opts: RedisClientOptions & { onUnreachable?: (err: unknown) => void }): Promise<RedisLike> {
  const common = {
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs ?? 250,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    connectTimeout: 2000,
  } as const;
  const { Cluster, Redis } = await import('ioredis');
  let client: RedisLike;
  if (opts.cluster) {
    const u = new URL(opts.url);
    client = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      lazyConnect: true,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: {
        ...common,
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
        tls: u.protocol === 'rediss:' ? {} : undefined,
      },
    });
  } else {
    client = new Redis(opts.url, { ...common, enableAutoPipelining: true, retryStrategy: reconnectDelay });
  }
  // Errors surface on the calls that fail; the 'error' event must have a listener or Node crashes.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    opts.onUnreachable?.(err);
  }
  return client;
}
