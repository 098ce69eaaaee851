/**
 * A local stand-in for the CloudFront KeyValueStore API (restJson1, as the AWS SDK speaks it), implementing
 * the operations the publisher uses: DescribeKeyValueStore, GetKey, ListKeys, UpdateKeys. It enforces what
 * matters to the publisher: If-Match against the current ETag (409 ConflictException), ≤ 50 changes per call,
 * key/value size limits (400 ValidationException), the 5 MB store limit (402 ServiceQuotaExceededException),
 * and that requests are signed with SigV4a (the signature itself is not verified).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { entryBytes, KVS_LIMITS } from '../entries.js';

export interface KvsEndpoint {
  url: string;
  arn: string;
  items: Map<string, string>;
  etag(): string;
  /** Change the store behind the publisher's back (a concurrent writer): bumps the ETag. */
  touch(): void;
  /** Calls seen, by operation name. */
  calls: Record<string, number>;
  /** Puts+deletes per UpdateKeys call. */
  batchSizes: number[];
  /** The next this-many UpdateKeys calls lose a race: another writer changes the store first (409). */
  injectConflicts: number;
  totalSize(): number;
  close(): Promise<void>;
}

export async function startKvsEndpoint(opts: { storeBytes?: number; arn?: string } = {}): Promise<KvsEndpoint> {
  const arn = opts.arn ?? 'arn:aws:cloudfront::123456789012:key-value-store/0f8e7d6c-1111-2222-3333-444455556666';
  const storeBytes = opts.storeBytes ?? KVS_LIMITS.storeBytes;
  const items = new Map<string, string>();
  let version = 1;
  const calls: Record<string, number> = {};
  const batchSizes: number[] = [];
  const etag = () => `ETVPDKIKX0DER${version}`;
  const totalSize = () => {
    let n = 0;
    for (const [k, v] of items) n += entryBytes(k, v);
    return n;
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const error = (res: ServerResponse, status: number, type: string, message: string) =>
    send(res, status, { message, Message: message }, { 'x-amzn-errortype': type });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('AWS4-ECDSA-P256-SHA256 ') || !req.headers['x-amz-region-set']) {
      return error(res, 403, 'AccessDeniedException', `request not signed with SigV4a (authorization: ${auth.split(' ')[0]})`);
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const seg = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (seg[0] !== 'key-value-stores' || seg[1] !== arn) return error(res, 404, 'ResourceNotFoundException', `no store ${seg[1]}`);
    const stats = () => ({ ItemCount: items.size, TotalSizeInBytes: totalSize() });
    if (req.method === 'GET' && seg.length === 2) {
      calls.DescribeKeyValueStore = (calls.DescribeKeyValueStore ?? 0) + 1;
      return send(res, 200, { ...stats(), KvsARN: arn, Created: 1700000000, Status: 'READY' }, { etag: etag() });
    }
    if (req.method === 'GET' && seg.length === 4 && seg[2] === 'keys') {
      calls.GetKey = (calls.GetKey ?? 0) + 1;
      const value = items.get(seg[3]!);
      if (value === undefined) return error(res, 404, 'ResourceNotFoundException', 'Key not found');
      return send(res, 200, { Key: seg[3], Value: value, ...stats() });
    }
    if (req.method === 'GET' && seg.length === 3 && seg[2] === 'keys') {
      calls.ListKeys = (calls.ListKeys ?? 0) + 1;
      const max = Math.min(50, Number(url.searchParams.get('MaxResults') ?? 50));
      const start = Number(url.searchParams.get('NextToken') ?? 0);
      const keys = [...items.keys()].sort();
      const page = keys.slice(start, start + max).map((k) => ({ Key: k, Value: items.get(k) }));
      return send(res, 200, { Items: page, ...(start + max < keys.length ? { NextToken: String(start + max) } : {}) });
    }
    if (req.method === 'POST' && seg.length === 3 && seg[2] === 'keys') {
      calls.UpdateKeys = (calls.UpdateKeys ?? 0) + 1;
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { Puts?: Array<{ Key: string; Value: string }>; Deletes?: Array<{ Key: string }> };
      const puts = body.Puts ?? [];
      const deletes = body.Deletes ?? [];
      batchSizes.push(puts.length + deletes.length);
      if (handle_.injectConflicts > 0) {
        handle_.injectConflicts--;
        version++;
      }
      if (req.headers['if-match'] !== etag()) return error(res, 409, 'ConflictException', 'Pre-condition failed: ETag mismatch');
      if (puts.length + deletes.length === 0 || puts.length + deletes.length > KVS_LIMITS.batch) {
        return error(res, 400, 'ValidationException', `UpdateKeys takes 1..${KVS_LIMITS.batch} changes`);
      }
      for (const p of puts) {
        if (Buffer.byteLength(p.Key) > KVS_LIMITS.keyBytes || Buffer.byteLength(p.Value) > KVS_LIMITS.valueBytes) {
          return error(res, 400, 'ValidationException', `entry ${p.Key} too large`);
        }
      }
      const next = new Map(items);
      for (const d of deletes) next.delete(d.Key);
      for (const p of puts) next.set(p.Key, p.Value);
      let size = 0;
      for (const [k, v] of next) size += entryBytes(k, v);
      if (size > storeBytes) return error(res, 402, 'ServiceQuotaExceededException', `store would be ${size} bytes`);
      items.clear();
      for (const [k, v] of next) items.set(k, v);
      version++;
      return send(res, 200, stats(), { etag: etag() });
    }
    return error(res, 400, 'ValidationException', `unsupported ${req.method} ${url.pathname}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => error(res, 500, 'InternalServerException', String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const handle_: KvsEndpoint = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arn,
    items,
    etag,
    touch: () => void version++,
    calls,
    batchSizes,
    injectConflicts: 0,
    totalSize,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  return handle_;
}
