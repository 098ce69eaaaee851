/**
 * Scenarios e and f prove code of the durability branch (the S3 spool, spend rebuilt from the ledger). Until it
 * is merged they report SKIP with the reason instead of a FAIL that says nothing about this branch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test-support/paths.js';

export function missingSource(...files: string[]): string | undefined {
  const missing = files.filter((f) => !existsSync(join(repoRoot(), f)));
  return missing.length ? `needs ${missing.join(', ')} (durability branch, #13)` : undefined;
}
