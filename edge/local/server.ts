/**
 * The local edge: what CloudFront does in front of the regional gateway, on one port. Each request goes through
 * the same viewer-request function file that is deployed (run in a Node `vm`, KVS from a local JSON file); when
 * the function answers, that answer is sent; otherwise the (possibly modified) request is proxied to the origin
 * with undici, bodies streamed both ways (SSE flows through as it arrives; a viewer that goes away aborts the
 * origin request).
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request as undiciRequest } from 'undici';
import { eventFromRequest, HOP_BY_HOP, formatQuery, originHeaders, responseParts } from './cf-event.js';
import { ViewerRequestFunction, type CfRequest } from './function-runner.js';
import { LocalKvsFile } from './kvs-file.js';

export interface LocalEdgeOptions {
  host: string;
  port: number;
  /** The regional gateway (default origin). */
  originUrl: string;
  /** The local KVS file (written by the KVS publisher in file mode). */
  kvsFile: string;
  /**
   * The built viewer-request function.
   * @default dist/edge/viewer-request.js beside this module's dist tree; proxy only (with a warning) when absent
   */
  functionFile?: string;
  /** Served to the function as the KVS entry `ov` (the origin-verification header value). */
  originVerifySecret?: string;
  /** Origin URLs by origin id, for cf.selectRequestOriginById; ids not listed go to originUrl. */
  origins?: Record<string, string>;
}

export interface LocalEdge {
  port: number;
  close(): Promise<void>;
}

const DEFAULT_FUNCTION = fileURLToPath(new URL('../viewer-request.js', import.meta.url));

function edgeError(res: ServerResponse, status: number, type: string, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, type, code, param: null } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-skyway-edge': '1' });
  res.end(body);
}

function loadFunction(file: string | undefined): ViewerRequestFunction | undefined {
  if (file !== undefined) return ViewerRequestFunction.fromFile(file);
  if (existsSync(DEFAULT_FUNCTION)) return ViewerRequestFunction.fromFile(DEFAULT_FUNCTION);
  console.warn(`local edge: ${DEFAULT_FUNCTION} not built; proxying without the viewer-request function`);
  return undefined;
}

/**
 * Start the local edge.
 *
 * @example
 * const edge = await startLocalEdge({ host: '127.0.0.1', port: 8080, originUrl: 'http://127.0.0.1:8081', kvsFile: 'data/edge-kvs.json' });
 */
export async function startLocalEdge(opts: LocalEdgeOptions): Promise<LocalEdge> {
  const fn = loadFunction(opts.functionFile);
  const kvs = new LocalKvsFile(opts.kvsFile, opts.originVerifySecret !== undefined ? { ov: opts.originVerifySecret } : {});
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 256 });
  const origins = opts.origins ?? {};

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const event = eventFromRequest(req, req.headers.host ?? opts.host);
    let request: CfRequest = event.request;
    let originUrl = opts.originUrl;
    if (fn) {
      let outcome;
      try {
        outcome = await fn.run(event, await kvs.snapshot());
      } catch (err) {
        // CloudFront answers 503 when a function fails; say so plainly here.
        console.error('local edge: viewer-request function failed:', err);
        edgeError(res, 503, 'service_unavailable', 'edge_function_error', 'The edge function failed to process the request.');
        req.resume();
        return;
      }
      if (outcome.response) {
        const { status, headers, body } = responseParts(outcome.response);
        headers['content-length'] = String(body.length);
        res.writeHead(status, headers);
        res.end(body);
        req.resume();
        return;
      }
      request = outcome.request!;
      if (outcome.originId !== undefined) originUrl = origins[outcome.originId] ?? opts.originUrl;
    }
    await proxy(req, res, request, originUrl, event.viewer.ip);
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, request: CfRequest, originUrl: string, viewerIp: string): Promise<void> {
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const query = formatQuery(request.querystring ?? {});
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    try {
      const upstream = await undiciRequest(new URL(request.uri + (query ? `?${query}` : ''), originUrl), {
        dispatcher: agent,
        method: request.method as 'GET',
        headers: originHeaders(request, viewerIp),
        body: hasBody ? req : null,
        signal: abort.signal,
      });
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstream.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      res.writeHead(upstream.statusCode, headers);
      res.flushHeaders();
      // pipeline respects backpressure, writes each chunk as it arrives (SSE) and destroys the origin body if
      // the viewer goes away.
      await pipeline(upstream.body, res);
    } catch (err) {
      if (abort.signal.aborted || res.headersSent) {
        res.destroy();
        return;
      }
      edgeError(res, 502, 'upstream_error', 'origin_unreachable', `The edge could not reach the origin: ${(err as Error).message}`);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error('local edge: request failed:', err);
      edgeError(res, 500, 'server_error', 'internal_error', 'The local edge failed to process the request.');
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.close();
    },
  };
}
