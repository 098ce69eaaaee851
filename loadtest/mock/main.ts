/**
 * The mock upstream as a program: `node dist/loadtest/mock/main.js [--port 9000] [--host 127.0.0.1] [--latency-ms 0]`
 * (or MOCK_PORT / MOCK_HOST / MOCK_LATENCY_MS). Prints one line with its URL; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startMockUpstream } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'latency-ms': { type: 'string' },
  },
});

const port = Number(values.port ?? process.env.MOCK_PORT ?? 9000);
const host = values.host ?? process.env.MOCK_HOST ?? '127.0.0.1';
const latencyMs = Number(values['latency-ms'] ?? process.env.MOCK_LATENCY_MS ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`mock upstream: invalid port ${String(values.port ?? process.env.MOCK_PORT)}`);
  process.exit(2);
}

const mock = await startMockUpstream({ port, host, latencyMs });
console.log(`mock upstream listening on ${mock.url}/v1`);

const stop = () => {
  void mock.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
