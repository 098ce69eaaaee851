/**
 * What the ALB and CloudFront stand-ins share: forward a request to an origin with undici and stream the answer
 * back without hop-by-hop headers; an origin that cannot be reached (or fails before its headers) is a 502 with
 * the stand-in's own page, and one that fails mid-body cuts the client's connection, as the real services do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { request as undiciRequest, type Agent } from 'undici';
import { HOP_BY_HOP } from '../../edge/local/cf-event.js';

export interface RelayTarget {
  url: string;
  method: string;
  headers: Record<string, string | string[]>;
  dispatcher: Agent;
  signal: AbortSignal;
  /** The body of the 502 page this stand-in answers with. */
  badGatewayHtml: string;
}

export async function relay(req: IncomingMessage, res: ServerResponse, t: RelayTarget): Promise<void> {
  try {
    const up = await undiciRequest(t.url, {
      dispatcher: t.dispatcher,
      method: t.method as 'GET',
      headers: t.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      signal: t.signal,
    });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    res.writeHead(up.statusCode, out);
    res.flushHeaders();
    await pipeline(up.body, res);
  } catch {
    if (res.headersSent) return void res.destroy();
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end(t.badGatewayHtml);
  }
}
