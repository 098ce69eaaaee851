/**
 * A tiny HTTP pass-through on 127.0.0.1 that counts and records every request before forwarding it to `target`
 * (bodies streamed both ways). Put it between the local edge and the regional gateway to prove which requests
 * reached the region.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface CountingProxy {
  url: string;
  /** Requests received so far, oldest first. */
  readonly seen: readonly SeenRequest[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host']);

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const seen: SeenRequest[] = [];
  const agent = new Agent({ keepAliveTimeout: 5_000 });
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    request(new URL(req.url ?? '/', target), { dispatcher: agent, method: (req.method ?? 'GET') as 'GET', headers, body: hasBody ? req : null })
      .then(async (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(up.statusCode, out);
        await pipeline(up.body, res);
      })
      .catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`counting proxy: ${(err as Error).message}`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
    },
  };
}
