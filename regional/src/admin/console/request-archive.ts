/**
 * One request's archived copy, for the console's request detail: the payload archive (S3 in production, files
 * under `<data dir>/archive/` under `npm start`) holds every usage event, with the request and response bodies
 * only for principals that opted in (redacted). Objects are partitioned by the event's UTC hour and region,
 * and named by a hash of their request ids, so finding one request means reading the objects of its partition
 * until the line turns up. The read is bounded (MAX_OBJECTS objects per look-up): a very busy hour may answer
 * "not found" rather than scan thousands of objects for one page view.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { UsagePayload } from '../../usage/event.js';
import { S3ObjectStore } from '../../usage/object-store.js';

const gunzipAsync = promisify(gunzip);
/** Objects read per look-up at most. */
export const MAX_OBJECTS = 200;
const PARALLEL = 8;

export interface ArchiveLookup {
  /** The archive had the request's event. */
  found: boolean;
  /** Its bodies, when the principal archived payloads. */
  payload?: UsagePayload | undefined;
  /** Objects read, and whether the partition held more than were read. */
  objectsRead: number;
  truncated: boolean;
}

export interface RequestArchive {
  readonly location: string;
  find(requestId: string, timeMs: number, region: string): Promise<ArchiveLookup>;
}

/** Where objects come from: a key listing of one partition, and one object's bytes. */
interface Objects {
  location: string;
  list(prefix: string, max: number): Promise<string[]>;
  get(key: string): Promise<Buffer | undefined>;
}

/** The partition path the archive sink writes an event to (archivePartition in usage/sinks/archive.ts). */
export function partitionOf(timeMs: number, region: string): string {
  const iso = new Date(timeMs).toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/region=${encodeURIComponent(region)}/`;
}

function archiveOver(objects: Objects, prefix: string): RequestArchive {
  return {
    location: objects.location,
    async find(requestId, timeMs, region) {
      const keys = (await objects.list(prefix + partitionOf(timeMs, region), MAX_OBJECTS + 1)).filter((k) => k.endsWith('.ndjson.gz'));
      const todo = keys.slice(0, MAX_OBJECTS);
      const needle = `"requestId":${JSON.stringify(requestId)}`;
      let read = 0;
      let hit: ArchiveLookup | undefined;
      const worker = async () => {
        while (!hit && todo.length) {
          const key = todo.shift()!;
          const gz = await objects.get(key);
          read++;
          if (!gz) continue;
          const text = (await gunzipAsync(gz)).toString('utf8');
          const at = text.indexOf(needle);
          if (at < 0) continue;
          const start = text.lastIndexOf('\n', at) + 1;
          const end = text.indexOf('\n', at);
          const event = JSON.parse(text.slice(start, end < 0 ? undefined : end)) as { payload?: UsagePayload };
          hit = { found: true, payload: event.payload, objectsRead: 0, truncated: false };
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      return { ...(hit ?? { found: false }), objectsRead: read, truncated: !hit && keys.length > MAX_OBJECTS };
    },
  };
}

/** The embedded default: `<root>/<prefix>dt=…/hour=…/region=…/<token>.ndjson.gz`. */
export function fileArchive(root: string, prefix = 'usage/'): RequestArchive {
  const inside = (key: string) => {
    const file = normalize(join(root, key));
    if (!file.startsWith(normalize(root) + sep)) throw new Error(`archive key escapes the archive directory: ${key}`);
    return file;
  };
  return archiveOver(
    {
      location: root,
      list: async (p, max) => (await readdir(inside(p)).catch(() => [] as string[])).sort().slice(0, max).map((n) => p + n),
      get: (key) => readFile(inside(key)).catch(() => undefined),
    },
    prefix,
  );
}

export function s3Archive(store: S3ObjectStore, prefix = 'usage/'): RequestArchive {
  return archiveOver({ location: store.location, list: async (p, max) => (await store.list(p, max)).map((o) => o.key), get: (key) => store.get(key) }, prefix);
}

/** The archive the usage pipeline writes to: SKYWAY_S3_BUCKET (+ SKYWAY_S3_PREFIX, S3_ENDPOINT), else the data dir. */
export function requestArchiveFromEnv(env: NodeJS.ProcessEnv, dataDir: string | undefined): RequestArchive | undefined {
  const prefix = env.SKYWAY_S3_PREFIX ?? 'usage/';
  if (env.SKYWAY_S3_BUCKET) {
    return s3Archive(new S3ObjectStore({ bucket: env.SKYWAY_S3_BUCKET, endpoint: env.S3_ENDPOINT, region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION }), prefix);
  }
  return dataDir ? fileArchive(join(dataDir, 'archive'), prefix) : undefined;
}
