/**
 * Argument parsing: node:util parseArgs in strict mode against one command's flags, so a flag the command does
 * not take is an error that names the closest flag it does take (`--model` → `--models`).
 */
import { parseArgs } from 'node:util';
import { CliError, COMMON_FLAGS, type Command } from './command.js';

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}

/** The closest known name: one that starts with the typo (or the reverse), else within 2 edits. */
export function closest(name: string, known: readonly string[]): string | undefined {
  const prefix = known.filter((k) => k.startsWith(name) || name.startsWith(k));
  if (prefix.length) return prefix.sort((x, y) => Math.abs(x.length - name.length) - Math.abs(y.length - name.length))[0];
  const scored = known.map((k) => [k, distance(name, k)] as const).filter(([, d]) => d <= (name.length >= 3 ? 2 : 1));
  return scored.sort((x, y) => x[1] - y[1])[0]?.[0];
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCommandArgs(c: Command, args: string[]): Parsed {
  const flags = { ...c.flags, ...COMMON_FLAGS };
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, f.short ? { type: f.type, short: f.short } : { type: f.type }]));
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = /Unknown option '(-{1,2})([^']+)'/.exec(e.message);
    const cmd = `skyway ${c.path.join(' ')}`;
    if (unknown) {
      const guess = closest(unknown[2]!, Object.keys(flags));
      throw new CliError(`${cmd} has no option ${unknown[1]}${unknown[2]}${guess ? `; did you mean --${guess}?` : ''} (see ${cmd} --help)`, 2);
    }
    throw new CliError(`${e.message.split('\n')[0]} (see ${cmd} --help)`, 2);
  }
  const values = parsed.values as Parsed['values'];
  const max = c.positionals?.length ?? 0;
  if (!values.help) {
    if (parsed.positionals.length > max) throw new CliError(`skyway ${c.path.join(' ')} takes ${max ? c.positionals!.join(' ') : 'no arguments'}; unexpected '${parsed.positionals[max]}'`, 2);
    if (parsed.positionals.length < max) throw new CliError(`usage: skyway ${c.path.join(' ')} ${c.positionals!.join(' ')}`, 2);
  }
  return { values, positionals: parsed.positionals };
}
