/**
 * The benchmark's floor: the thinnest correct proxy on the gateway's own stack, so that every gateway row can
 * be read as a ratio to what uWebSockets.js + undici cost on this machine in the same run.
 *
 *   node dist/loadtest/bench/floor.js --upstream http://127.0.0.1:9000 [--port 0] [--threads 1]
 *
 * Per request: uWS reads the body, `JSON.parse` checks it, the bytes are forwarded unchanged with an undici
 * pool, and the answer is streamed back with backpressure (`write` → pause → `onWritable`) and aborted
 * upstream when the client leaves. No auth, no logs, no metrics, no usage. With `--threads N` it runs N uWS
 * loops on the same port (worker threads, SO_REUSEPORT), as the gateway's SKYWAY_THREADS does.
 * Prints `floor listening on http://host:port/v1` once every loop listens.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { freeTcpPort } from '../../regional/src/threads/shared-port.js';
import type { HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';

type UWS = typeof import('uWebSockets.js');
const require = createRequire(import.meta.url);
const uws = require(`uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`) as UWS;

interface FloorOptions {
  upstream: string;
  host: string;
  port: number;
}

const BAD_REQUEST = '{"error":{"message":"invalid JSON body","type":"invalid_request_error","code":"invalid_json","param":null}}';
const BAD_GATEWAY = '{"error":{"message":"upstream failed","type":"api_error","code":"upstream_error","param":null}}';

function proxy(app: TemplatedApp, pool: Pool, path: string): void {
  app.post(path, (res: HttpResponse) => {
    const ac = new AbortController();
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
      ac.abort();
    });
    const parts: Buffer[] = [];
    res.onData((chunk, last) => {
      parts.push(Buffer.from(chunk.slice(0))); // uWS reuses the chunk's memory after this callback
      if (!last) return;
      const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      try {
        JSON.parse(body.toString('utf8'));
      } catch {
        res.cork(() => res.writeStatus('400 Bad Request').writeHeader('content-type', 'application/json').end(BAD_REQUEST));
        return;
      }
      pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body, signal: ac.signal }).then(
        ({ statusCode, headers, body: up }) => {
          if (aborted) return void up.destroy();
          const type = headers['content-type'];
          res.cork(() => {
            res.writeStatus(String(statusCode));
            if (typeof type === 'string') res.writeHeader('content-type', type);
          });
          up.on('data', (chunk: Buffer) => {
            if (aborted) return;
            let ok = true;
            res.cork(() => (ok = res.write(chunk)));
            if (!ok) {
              up.pause();
              res.onWritable(() => {
                up.resume();
                return true;
              });
            }
          });
          up.on('end', () => {
            if (!aborted) res.cork(() => res.end());
          });
          up.on('error', () => {
            if (!aborted) res.close();
          });
        },
        () => {
          if (!aborted) res.cork(() => res.writeStatus('502 Bad Gateway').writeHeader('content-type', 'application/json').end(BAD_GATEWAY));
        },
      );
    });
  });
}

/** One uWS loop: resolves with its listen socket and port. */
function startLoop(o: FloorOptions): Promise<{ port: number; close(): void }> {
  // As the gateway's UpstreamPools: no cap on connections (5,000 open streams need 5,000), keep-alive 60 s.
  const pool = new Pool(o.upstream, { connections: null, keepAliveTimeout: 60_000, pipelining: 1 });
  const app = uws.App();
  proxy(app, pool, '/v1/chat/completions');
  app.get('/health/readiness', (res) => void res.end('{"status":"ok"}'));
  return new Promise((resolve, reject) => {
    app.listen(o.host, o.port, (socket: us_listen_socket | false) => {
      if (!socket) return reject(new Error(`floor: cannot listen on ${o.host}:${o.port}`));
      resolve({
        port: uws.us_socket_local_port(socket as unknown as Parameters<typeof uws.us_socket_local_port>[0]),
        close: () => {
          uws.us_listen_socket_close(socket);
          void pool.close();
        },
      });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, threads: { type: 'string' } } });
  if (!values.upstream) throw new Error('floor: --upstream URL is required');
  const threads = Math.max(1, Number(values.threads ?? 1));
  const host = values.host ?? '127.0.0.1';
  // uWS shares a port between loops only when it was bound as a concrete port (see threads/shared-port.ts).
  const port = Number(values.port ?? 0) === 0 && threads > 1 ? await freeTcpPort(host) : Number(values.port ?? 0);
  const first = await startLoop({ upstream: values.upstream, host, port });
  const workers: Worker[] = [];
  for (let i = 1; i < threads; i++) {
    const w = new Worker(new URL(import.meta.url), { workerData: { upstream: values.upstream, host, port: first.port } satisfies FloorOptions });
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    workers.push(w);
  }
  console.log(`floor listening on http://${host}:${first.port}/v1 (${threads} loop${threads > 1 ? 's' : ''})`);
  const stop = () => {
    first.close();
    // A worker must close its own loop before the process exits (else libuv aborts on its open handles).
    for (const w of workers) w.postMessage('stop');
    void Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r)))).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  const loop = await startLoop(workerData as FloorOptions);
  parentPort!.postMessage('listening');
  parentPort!.once('message', () => {
    loop.close();
    parentPort!.close();
  });
}
