/**
 * A separate Node process for the cross-process admission test: connects to REDIS_URL, waits for "go" on
 * stdin, fires COUNT concurrent admissions for the key in KEY_ID with RPM in RPM, prints the admitted count.
 */
import { createInterface } from 'node:readline';
import { admissionConfigFromEnv, RedisAdmission } from '../index.js';
import { principal, request } from './fixtures.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const admission = await RedisAdmission.create({ config: admissionConfigFromEnv(), logger: silent });
const p = principal(process.env.KEY_ID!, { key: { rpm: Number(process.env.RPM) } });
const count = Number(process.env.COUNT);
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line.trim() !== 'go') continue;
  const results = await Promise.allSettled(Array.from({ length: count }, () => admission.admit(request(p))));
  const admitted = results.filter((r) => r.status === 'fulfilled').length;
  const other = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status !== 429).length;
  process.stdout.write(JSON.stringify({ admitted, other, degraded: admission.degraded }) + '\n');
  break;
}
rl.close();
await admission.close();
