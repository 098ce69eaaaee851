/**
 * Test-only: the smallest gateway that puts one adapter between an OpenAI client (and, through the
 * Anthropic ingress translators, an Anthropic client) and a fake upstream. It stands in for the lead's
 * pipeline so that the official SDKs can exercise the translations end to end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request } from 'undici';
import { GatewayError, toGatewayError } from '../regional/src/errors/catalogue.js';
import type { Deployment, ProviderAdapter, RequestContext, Usage } from '../regional/src/providers/adapter.js';
import {
  anthropicErrorBody,
  anthropicToOpenAIRequest,
  createOpenAIToAnthropicStream,
  openAIToAnthropicResponse,
} from '../regional/src/ingress/anthropic/index.js';

export interface MiniGateway {
  url: string;
  /** Usage reported by the adapter for each completed request, in order. */
  usages: Array<Usage | undefined>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

let seq = 0;

/** Run one OpenAI-shaped request through the adapter; `write` receives OpenAI response bytes. */
async function runOpenAI(
  adapter: ProviderAdapter,
  deployment: Deployment,
  body: Record<string, unknown>,
  raw: Buffer,
  onHead: (status: number, stream: boolean) => void,
  write: (bytes: string | Buffer) => void,
): Promise<Usage | undefined> {
  const ctx: RequestContext = { requestId: `req${++seq}`, operation: 'chat', stream: body.stream === true, model: String(body.model) };
  const up = await adapter.buildRequest(ctx, body, raw, deployment);
  const res = await request(up.origin + up.path, { method: up.method, headers: up.headers, body: up.body ?? null });
  if (res.statusCode >= 300) {
    const errBody = Buffer.from(await res.body.arrayBuffer());
    throw adapter.translateError(res.statusCode, errBody, res.headers, deployment);
  }
  if (!ctx.stream) {
    const out = adapter.translateResponse(ctx, Buffer.from(await res.body.arrayBuffer()), deployment);
    onHead(200, false);
    write(out.body);
    return out.usage;
  }
  onHead(200, true);
  const tr = adapter.createStreamTranslator(ctx, deployment);
  for await (const chunk of res.body) {
    const out = tr.push(chunk as Buffer);
    if (out.length) write(out);
  }
  const last = tr.end();
  if (last.length) write(last);
  return tr.usage;
}

export async function startMiniGateway(adapter: ProviderAdapter, deployment: Deployment): Promise<MiniGateway> {
  const usages: Array<Usage | undefined> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const raw = await readBody(req);
      const anthropicIngress = req.url?.startsWith('/v1/messages') ?? false;
      try {
        const client = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        const body = anthropicIngress ? (anthropicToOpenAIRequest(client) as unknown as Record<string, unknown>) : client;
        const model = String(client.model);
        const anthropicStream = anthropicIngress && body.stream === true ? createOpenAIToAnthropicStream(model) : undefined;
        let openAIBody = '';
        const usage = await runOpenAI(
          adapter,
          deployment,
          body,
          anthropicIngress ? Buffer.from(JSON.stringify(body)) : raw,
          (status, stream) => {
            res.writeHead(status, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
          },
          (bytes) => {
            if (anthropicStream) res.write(anthropicStream.push(Buffer.from(bytes)));
            else if (anthropicIngress) openAIBody += bytes.toString();
            else res.write(bytes);
          },
        );
        if (anthropicStream) res.write(anthropicStream.end());
        else if (anthropicIngress) res.write(JSON.stringify(openAIToAnthropicResponse(JSON.parse(openAIBody), model)));
        usages.push(usage);
        res.end();
      } catch (e) {
        const err: GatewayError = e instanceof SyntaxError ? toGatewayError(e) : toGatewayError(e);
        if (res.headersSent) {
          res.end();
          return;
        }
        res.writeHead(err.status, { 'content-type': 'application/json', ...err.headers });
        res.end(anthropicIngress ? JSON.stringify(anthropicErrorBody(err)) : err.toJSON());
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    usages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A deployment pointing at a fake upstream. */
export function testDeployment(over: Partial<Deployment> & Pick<Deployment, 'provider' | 'apiBase' | 'upstreamModel'>): Deployment {
  return { id: `${over.provider}/0`, apiKey: 'test-key', weight: 1, timeoutMs: 5000, headers: {}, options: {}, ...over };
}
