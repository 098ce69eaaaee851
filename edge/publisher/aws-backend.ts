/**
 * The CloudFront KeyValueStore over the AWS SDK. The KVS API is signed with SigV4a: the SDK needs
 * `@aws-sdk/signature-v4a` loaded for its side effect, or every call fails at run time.
 */
import '@aws-sdk/signature-v4a';
import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ListKeysCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  UpdateKeysCommand,
  type CloudFrontKeyValueStoreClientConfig,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { KvsConflictError, KvsQuotaError, type KvsBackend, type KvsDescription } from './backend.js';

export interface AwsKvsBackendOptions {
  /** ARN of the key value store (`arn:aws:cloudfront::<account>:key-value-store/<id>`). */
  kvsArn: string;
  /** Extra client configuration (credentials, endpoint for tests). The region defaults to us-east-1. */
  client?: CloudFrontKeyValueStoreClientConfig;
}

export class AwsKvsBackend implements KvsBackend {
  /** Exposed for tests (middleware) and for callers that share one client. */
  readonly client: CloudFrontKeyValueStoreClient;
  private readonly arn: string;

  constructor(opts: AwsKvsBackendOptions) {
    this.arn = opts.kvsArn;
    this.client = new CloudFrontKeyValueStoreClient({ region: 'us-east-1', maxAttempts: 3, ...opts.client });
  }

  async describe(): Promise<KvsDescription> {
    const r = await this.client.send(new DescribeKeyValueStoreCommand({ KvsARN: this.arn }));
    return { etag: r.ETag ?? '', itemCount: r.ItemCount ?? 0, totalSizeInBytes: r.TotalSizeInBytes ?? 0 };
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new GetKeyCommand({ KvsARN: this.arn, Key: key }))).Value;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }

  async *list(): AsyncIterable<{ key: string; value: string }> {
    let next: string | undefined;
    do {
      const r = await this.client.send(new ListKeysCommand({ KvsARN: this.arn, MaxResults: 50, ...(next ? { NextToken: next } : {}) }));
      for (const item of r.Items ?? []) if (item.Key !== undefined) yield { key: item.Key, value: item.Value ?? '' };
      next = r.NextToken;
    } while (next);
  }

  async update(ifMatch: string, puts: Array<{ key: string; value: string }>, deletes: string[]): Promise<KvsDescription> {
    try {
      const r = await this.client.send(
        new UpdateKeysCommand({
          KvsARN: this.arn,
          IfMatch: ifMatch,
          ...(puts.length ? { Puts: puts.map((p) => ({ Key: p.key, Value: p.value })) } : {}),
          ...(deletes.length ? { Deletes: deletes.map((k) => ({ Key: k })) } : {}),
        }),
      );
      return { etag: r.ETag ?? '', itemCount: r.ItemCount ?? 0, totalSizeInBytes: r.TotalSizeInBytes ?? 0 };
    } catch (err) {
      if (err instanceof ConflictException) throw new KvsConflictError(err.message);
      if (err instanceof ServiceQuotaExceededException) throw new KvsQuotaError(err.message);
      throw err;
    }
  }

  close(): void {
    this.client.destroy();
  }
}
