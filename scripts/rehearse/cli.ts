/**
 * `npm run rehearse [-- --env <name>] [--only a,b] [--region-choice health]`: rehearse a deployment of one environment (default staging)
 * on this machine from its synthesized templates; one PASS/FAIL line per scenario; exit 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { formatResult, rehearse } from './run.js';

const { values } = parseArgs({ options: { env: { type: 'string', default: 'staging' }, only: { type: 'string' }, 'region-choice': { type: 'string' } } });
const report = await rehearse(values.env!, {
  ...(values.only ? { only: values.only.split(',') } : {}),
  // A variant of the environment: regions publish health rows and the edge chooses by them (issue 14).
  ...(values['region-choice'] ? { environmentPatch: { regionChoice: values['region-choice'] } } : {}),
  onResult: (r) => console.log(formatResult(r)),
});
const failed = report.scenarios.filter((s) => !s.pass);
const skipped = report.scenarios.filter((s) => s.skipped);
console.log(
  `rehearsal ${report.env} (${report.regions.join(', ')}): ${report.scenarios.length - failed.length - skipped.length}/${report.scenarios.length} passed` +
    `${skipped.length ? `, ${skipped.length} skipped` : ''} in ${report.ms} ms`,
);
process.exit(failed.length === 0 && report.scenarios.length > 0 ? 0 : 1);
