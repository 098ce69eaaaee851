/** A minimal OTLP/HTTP JSON trace receiver for tests: records the `skyway.request_id` of every span it accepts. */
import { createServer, type Server } from 'node:http';
import { freePort } from '../../../../test-support/free-port.js';

interface OtlpBody {
  resourceSpans: { scopeSpans: { spans: { attributes: { key: string; value: { stringValue?: string } }[] }[] }[] }[];
}

export class OtlpCollector {
  port = 0;
  readonly requestIds: string[] = [];
  private server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    if (!this.port) this.port = await freePort();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpBody;
        for (const rs of body.resourceSpans)
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans) {
              const id = s.attributes.find((a) => a.key === 'skyway.request_id')?.value.stringValue;
              if (id) this.requestIds.push(id);
            }
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
  }
}
