/**
 * uWS sets SO_REUSEPORT only on a listener bound to a given port: a first listener on port 0 (any free port)
 * cannot be shared by the other loops (measured with the uWS build in use: the second bind fails). With more
 * than one loop, PORT=0 is therefore turned into a concrete free port before the first loop listens.
 */
import { createServer } from 'node:net';

/** A free TCP port on `host` (the kernel's pick; another process may take it before it is bound again). */
export function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The environment to start the first loop with: PORT made concrete when it is 0 and loops will share it. */
export async function withShareablePort(env: NodeJS.ProcessEnv, loops: number): Promise<NodeJS.ProcessEnv> {
  if (loops < 2 || env.PORT !== '0') return env;
  return { ...env, PORT: String(await freeTcpPort(env.HOST || '127.0.0.1')) };
}
