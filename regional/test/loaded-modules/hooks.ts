/**
 * Module loader hooks for loaded-modules/child.ts: every module the ESM loader loads is reported to the main
 * thread (Node 20 runs these hooks on their own thread, hence the port).
 */
import type { MessagePort } from 'node:worker_threads';

type LoadResult = { format?: string | null; source?: unknown; shortCircuit?: boolean };
type NextLoad = (url: string, context: unknown) => Promise<LoadResult>;

let port: MessagePort | undefined;

export function initialize(data: { port: MessagePort }): void {
  port = data.port;
}

export async function load(url: string, context: unknown, next: NextLoad): Promise<LoadResult> {
  const result = await next(url, context);
  port?.postMessage(url);
  return result;
}
