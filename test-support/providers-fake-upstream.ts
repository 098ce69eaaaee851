/**
 * Test-only: a fake provider on 127.0.0.1 that serves recorded wire formats and records what it received.
 * (Lives here until the lead gives shared test helpers a home — suggested: test-support/.)
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json(): Record<string, unknown>;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** One body, or a list of chunks written one by one (a streaming transcript). */
  body: string | Buffer | Array<string | Buffer>;
}

export type FakeHandler = (req: ReceivedRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeUpstream {
  url: string;
  received: ReceivedRequest[];
  /** Replace the handler (tests script a conversation turn by turn). */
  handle(h: FakeHandler): void;
  close(): Promise<void>;
}

/** Read a recorded fixture from regional/test/fixtures/providers/. */
export function fixture(path: string): Buffer {
  return readFileSync(join(repoRoot(), 'regional/test/fixtures/providers', path));
}

export function fixtureJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(fixture(path).toString('utf8')) as T;
}

/** Split a transcript into small chunks at arbitrary byte offsets, to exercise incremental parsers. */
export function chop(data: Buffer, size = 37): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

export async function startFakeUpstream(initial: FakeHandler): Promise<FakeUpstream> {
  let handler = initial;
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const r: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown>,
      };
      received.push(r);
      Promise.resolve(handler(r)).then(
        (out) => {
          res.writeHead(out.status ?? 200, { 'content-type': 'application/json', ...out.headers });
          if (Array.isArray(out.body)) {
            for (const c of out.body) res.write(c);
            res.end();
          } else res.end(out.body);
        },
        (err: unknown) => {
          res.writeHead(500).end(String(err));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    handle: (h) => {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
