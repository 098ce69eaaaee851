/**
 * The gateway configurations the benchmark measures. A feature that changes the hot path adds one entry here:
 * a name, the env it needs, and YAML appended to the gateway config (after the mock's `models:` block).
 *
 * @example
 *   { name: 'redis-limits', description: 'Redis limits and Postgres keys on',
 *     env: { REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://...' }, yaml: 'limits:\n  ...' }
 */
export interface BenchConfiguration {
  name: string;
  description: string;
  /** Extra environment for the gateway process. */
  env: Record<string, string>;
  /** Extra top-level YAML for the gateway config file. */
  yaml: string;
}

export const configurations: BenchConfiguration[] = [
  {
    name: 'embedded',
    description: 'embedded stores, master key, access log on (the `npm start` defaults)',
    env: {},
    yaml: '',
  },
];
