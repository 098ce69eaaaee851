/** How many uWS event loops the process runs: SKYWAY_THREADS, default the cores this process may use. */
import { availableParallelism } from 'node:os';

export class ThreadsSettingError extends Error {}

/**
 * `os.availableParallelism()` follows the CPU affinity mask (taskset, cgroup cpusets), so a container or a
 * pinned process gets one loop per core it can run on. A Fargate task's vCPUs show up here the same way.
 */
export function threadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SKYWAY_THREADS;
  if (raw === undefined || raw === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ThreadsSettingError(`SKYWAY_THREADS must be an integer from 1 to 256, got '${raw}'`);
  return n;
}
