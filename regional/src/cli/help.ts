/** Help text, generated from the command definitions (so it lists every flag the parser accepts). */
import { DEFAULT_ADMIN_URL } from './admin-client.js';
import { COMMON_FLAGS, type Command, type Flags } from './command.js';

function flagLines(flags: Flags): string[] {
  const rows = Object.entries(flags).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
    return [left, `${f.description}${f.default !== undefined ? ` (default: ${f.default})` : ''}`] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`);
}

export function usageLine(c: Command): string {
  return `skyway ${c.path.join(' ')}${c.positionals ? ' ' + c.positionals.join(' ') : ''} [flags]`;
}

export function commandHelp(c: Command): string {
  return [
    `usage: ${usageLine(c)}`,
    '',
    c.summary + '.',
    '',
    'flags:',
    ...flagLines({ ...c.flags, ...COMMON_FLAGS }),
    '',
    'examples:',
    ...c.examples.map((e) => `  ${e}`),
  ].join('\n');
}

export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return [
    'usage: skyway <command> [flags]        skyway <command> --help for its flags',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'flags of every command:',
    ...flagLines(COMMON_FLAGS),
    '',
    'environment:',
    `  SKYWAY_ADMIN_URL    the admin API (default: ${DEFAULT_ADMIN_URL})`,
    '  SKYWAY_MASTER_KEY   the master key (or SKYWAY_ADMIN_TOKEN, an OIDC bearer token)',
    '',
    'examples:',
    ...commands.slice(0, 3).map((c) => `  ${c.examples[0]}`),
  ].join('\n');
}
