/**
 * Where archive objects go: S3 in production, a directory tree with the same keys as the embedded default.
 * Keys are deterministic, so writing an object twice replaces it with identical bytes: that is the archive's
 * idempotency.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

export interface ObjectStore {
  /** Human-readable location for logs (`s3://bucket/prefix`, a directory). */
  readonly location: string;
  put(key: string, body: Buffer, contentType: string, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export interface S3StoreOptions {
  bucket: string;
  /** Custom endpoint (S3-compatible servers, tests); implies path-style addressing. */
  endpoint?: string | undefined;
  region?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
}

export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  /** Loaded on first use: the S3 SDK is large and most gateways of a region write one batch a second. */
  private client: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | undefined;
  private readonly config: S3ClientConfig;

  constructor(private readonly opts: S3StoreOptions) {
    this.location = `s3://${opts.bucket}`;
    // Bounded calls: a hanging S3 must fail over to the local spool instead of holding a batch in memory.
    const config: S3ClientConfig = {
      region: opts.region ?? 'us-east-1',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000, throwOnRequestTimeout: true },
    };
    if (opts.endpoint) {
      config.endpoint = opts.endpoint;
      config.forcePathStyle = true;
      // S3-compatible servers do not all understand the SDK's default CRC trailers.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
    if (opts.credentials) config.credentials = opts.credentials;
    this.config = config;
  }

  private sdk() {
    return (this.client ??= import('@aws-sdk/client-s3').then((m) => ({ client: new m.S3Client(this.config), sdk: m })));
  }

  async put(key: string, body: Buffer, contentType: string, signal?: AbortSignal): Promise<void> {
    const { client, sdk } = await this.sdk();
    await client.send(
      new sdk.PutObjectCommand({ Bucket: this.opts.bucket, Key: key, Body: body, ContentType: contentType, ContentEncoding: 'gzip' }),
      signal ? { abortSignal: signal } : {},
    );
  }

  /** The object's bytes, or undefined when it does not exist (e.g. another task already replayed and deleted it). */
  async get(key: string): Promise<Buffer | undefined> {
    const { client, sdk } = await this.sdk();
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      if (err instanceof sdk.NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  /** Up to `max` keys under `prefix`, in key order (one listing page: memory stays bounded). */
  async list(prefix: string, max = 1000): Promise<{ key: string; size: number }[]> {
    const { client, sdk } = await this.sdk();
    const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: prefix, MaxKeys: max }));
    return (page.Contents ?? []).flatMap((o) => (o.Key ? [{ key: o.Key, size: o.Size ?? 0 }] : []));
  }

  async delete(key: string): Promise<void> {
    const { client, sdk } = await this.sdk();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.opts.bucket, Key: key }));
  }

  async close(): Promise<void> {
    if (this.client) (await this.client).client.destroy();
  }
}

/** The embedded default: `<root>/<key>`, written to a temporary name and renamed (whole or absent). */
export class FileObjectStore implements ObjectStore {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = root;
  }

  async put(key: string, body: Buffer, _contentType?: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const file = normalize(join(this.root, key));
    if (!file.startsWith(normalize(this.root) + sep)) throw new Error(`object key escapes the archive directory: ${key}`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file + '.tmp', body);
    await rename(file + '.tmp', file);
  }
}
