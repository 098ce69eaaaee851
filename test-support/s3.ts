/**
 * An S3-compatible server for tests: s3rver (npm) in a child process on a free loopback port, with
 * `--openssl-legacy-provider` (its pagination breaks on Node 20 without it). Stoppable and restartable on the
 * same port and directory, for fault tests. With S3_ENDPOINT set, that server is used instead (a fresh bucket
 * per handle; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; no stop/start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { freePort } from './free-port.js';
import { repoRoot } from './paths.js';
import { missingService, portOpen } from './services.js';

export interface S3Handle {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  client: S3Client;
  /** Every key under `prefix`, following pagination. */
  listKeys(prefix?: string): Promise<string[]>;
  getObject(key: string): Promise<Buffer>;
  /** Present for the private s3rver: kill it and start it again (objects kept). */
  stop?: () => Promise<void>;
  start?: () => Promise<void>;
  close(): Promise<void>;
}

function makeClient(endpoint: string, region: string, credentials: S3Handle['credentials']): S3Client {
  return new S3Client({
    endpoint,
    region,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function helpers(client: S3Client, bucket: string): Pick<S3Handle, 'listKeys' | 'getObject'> {
  return {
    listKeys: async (prefix = '') => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    getObject: async (key) => {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
  };
}

/** Start s3rver privately with one bucket. */
export async function startS3rver(bucket = 'skyway-test'): Promise<S3Handle> {
  const bin = join(repoRoot(), 'node_modules', 's3rver', 'bin', 's3rver.js');
  if (!existsSync(bin)) throw new Error(`s3rver is not installed (${bin})`);
  const dir = mkdtempSync(join(tmpdir(), 'skyway-s3-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const args = ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--configure-bucket', bucket];
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child = c;
    const until = Date.now() + 10_000;
    while (!(await portOpen('127.0.0.1', port, 200))) {
      if (c.exitCode !== null) throw new Error(`s3rver exited (${c.exitCode}): ${stderr}`);
      if (Date.now() > until) {
        c.kill('SIGKILL'); // never leave a server behind that nobody can stop
        throw new Error('s3rver did not come up within 10 s');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const client = makeClient(endpoint, 'us-east-1', credentials);
  return {
    endpoint,
    bucket,
    region: 'us-east-1',
    credentials,
    client,
    ...helpers(client, bucket),
    stop,
    start,
    close: async () => {
      client.destroy();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** S3 for a test: S3_ENDPOINT (fresh bucket) unless `private`, else a private s3rver. */
export async function s3(t: TestContext, opts: { private?: boolean } = {}): Promise<S3Handle | undefined> {
  const external = process.env.S3_ENDPOINT;
  if (external && !opts.private) {
    const u = new URL(external);
    if (!(await portOpen(u.hostname, Number(u.port || (u.protocol === 'https:' ? 443 : 80))))) {
      missingService(t, `S3: nothing answers at S3_ENDPOINT=${external}`);
      return undefined;
    }
    const credentials = {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    };
    const region = process.env.AWS_REGION ?? 'us-east-1';
    const bucket = `skyway-test-${randomBytes(5).toString('hex')}`;
    const client = makeClient(external, region, credentials);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const h = helpers(client, bucket);
    return {
      endpoint: external,
      bucket,
      region,
      credentials,
      client,
      ...h,
      close: async () => {
        for (const key of await h.listKeys().catch(() => [] as string[])) {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
        }
        await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
        client.destroy();
      },
    };
  }
  try {
    return await startS3rver();
  } catch (err) {
    missingService(t, `S3: S3_ENDPOINT unset and s3rver could not start: ${String(err)}`);
    return undefined;
  }
}
