/**
 * The operations listener: Prometheus `/metrics` on its own port (SKYWAY_METRICS_PORT, default 9464), never
 * on the public API port, in every role. node:http: a scrape every few seconds is not the hot path.
 */
import { createServer, type Server } from 'node:http';
import { renderMetrics, type GatewayMetrics } from './metrics.js';

export async function startOpsServer(host: string, port: number, metrics: GatewayMetrics): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      renderMetrics(metrics).then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    const body = JSON.stringify({ error: { message: `Unknown URL ${req.method} ${req.url}; this listener serves GET /metrics.`, type: 'invalid_request_error', code: 'unknown_url', param: null } });
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
