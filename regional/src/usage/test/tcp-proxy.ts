/**
 * A loopback TCP proxy that a test can cut (refuse and reset every connection) and restore: a service outage.
 * `hanging = true` makes it accept connections and never answer (a network partition: the client waits for
 * its own timeouts).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../../../test-support/free-port.js';

export class TcpProxy {
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  hanging = false;

  constructor(private readonly host: string, private readonly targetPort: number) {}

  async start(): Promise<void> {
    if (this.server) return;
    if (!this.port) this.port = await freePort();
    const server = createServer((client) => {
      if (this.hanging) {
        this.sockets.add(client);
        client.on('close', () => this.sockets.delete(client));
        client.on('error', () => undefined);
        return;
      }
      const upstream = connect({ host: this.host, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
