#!/usr/bin/env node
/**
 * `skyway`: the command-line client of the admin API. Each command lives in commands/ and declares its flags;
 * parsing (parse.ts), help (help.ts) and the tests derive from those declarations. Run `skyway --help`.
 *
 * Works from any directory: it reads nothing but its environment (SKYWAY_ADMIN_URL, SKYWAY_MASTER_KEY or
 * SKYWAY_ADMIN_TOKEN) and talks HTTP to the admin API.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { adminClient } from './admin-client.js';
import { CliError, type CliIo, type Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { commandHelp, mainHelp } from './help.js';
import { closest, parseCommandArgs } from './parse.js';

export type { CliIo } from './command.js';

/** The command named by the leading words of argv, and the rest of argv. */
function findCommand(argv: string[]): { command?: Command; rest: string[]; words: string[] } {
  let best: Command | undefined;
  for (const c of COMMANDS) if (c.path.every((w, i) => argv[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  const words = argv.filter((a) => !a.startsWith('-')).slice(0, 2);
  return best ? { command: best, rest: argv.slice(best.path.length), words } : { rest: argv, words };
}

/** Run one command; returns the exit code (0 ok, 1 the API refused or failed, 2 usage). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const { command, rest, words } = findCommand(argv);
    if (!command) {
      if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
        io.out(mainHelp(COMMANDS));
        return argv.length === 0 ? 2 : 0;
      }
      const names = COMMANDS.map((c) => c.path.join(' '));
      const guess = closest(words.join(' '), names) ?? closest(words[0] ?? '', [...new Set(COMMANDS.map((c) => c.path[0]!))]);
      throw new CliError(`unknown command '${words.join(' ') || argv[0]}'${guess ? `; did you mean '${guess}'?` : ''} (see skyway --help)`, 2);
    }
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      io.out(commandHelp(command));
      return 0;
    }
    const print = (value: unknown, human: () => string[]) => (values.json ? io.out(JSON.stringify(value, null, 2)) : human().forEach((l) => io.out(l)));
    await command.run({ values, positionals, admin: adminClient(io.env), print, io });
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`skyway: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const code = await main(process.argv.slice(2), { env: process.env, out: (l) => console.log(l), err: (l) => console.error(l) });
  process.exitCode = code;
}
