/** The admin API over HTTP, for the CLI: SKYWAY_ADMIN_URL and SKYWAY_MASTER_KEY / SKYWAY_ADMIN_TOKEN. */
import { CliError } from './command.js';

export type Json = Record<string, unknown>;

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:4001';

export interface AdminClient {
  request(method: string, path: string, body?: unknown): Promise<Json>;
}

export function adminClient(env: NodeJS.ProcessEnv): AdminClient {
  let base = env.SKYWAY_ADMIN_URL || DEFAULT_ADMIN_URL;
  while (base.endsWith('/')) base = base.slice(0, -1);
  return {
    async request(method, path, body) {
      const token = env.SKYWAY_ADMIN_TOKEN || env.SKYWAY_MASTER_KEY;
      if (!token) throw new CliError('set SKYWAY_MASTER_KEY (or SKYWAY_ADMIN_TOKEN); `npm start` prints the master key and keeps it in .skyway/master-key');
      let res: Response;
      try {
        res = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : null,
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        throw new CliError(`cannot reach the admin API at ${base} (set SKYWAY_ADMIN_URL): ${(err as Error).message}`);
      }
      const json = (await res.json().catch(() => ({}))) as Json & { error?: { message?: string; code?: string } };
      if (!res.ok) throw new CliError(`${res.status} ${json.error?.code ?? ''}: ${json.error?.message ?? res.statusText}`);
      return json;
    },
  };
}
