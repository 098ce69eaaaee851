/** Output helpers of the CLI: tables and money. */
import { CliError } from './command.js';

/**
 * US dollars with enough digits to be non-zero: two decimals from a dollar up, four from a cent up, three
 * significant digits below (`0.005` → `$0.005`, `0.000123` → `$0.000123`), never exponent notation.
 */
export function usd(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs === 0 || abs >= 1) return `$${n.toFixed(2)}`;
  if (abs >= 0.01) return `$${n.toFixed(4)}`;
  const digits = Math.min(20, -Math.floor(Math.log10(abs)) + 2);
  return `$${n.toFixed(digits).replace(/0+$/, '')}`;
}

export function table(rows: Array<Record<string, unknown>>, cols: string[]): string[] {
  const cell = (v: unknown) => (v == null || v === '' ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cols.map((c) => c.toUpperCase().replace(/_/g, ' '))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))];
}

/** A number from a flag, or a usage error naming the flag. */
export function num(v: string | boolean | undefined, name: string): number | undefined {
  if (v === undefined || typeof v === 'boolean') return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${name} must be a number (got '${v}')`, 2);
  return n;
}
