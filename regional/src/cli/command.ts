/** What a `skyway` command declares: its flags (the parser, the help and the tests all read these) and its run. */
import type { AdminClient } from './admin-client.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** What the value is, for the help (`ID`, `USD`, `N`). */
  value?: string;
  description: string;
  /** The value used when the flag is absent, as shown in the help. */
  default?: string;
  short?: string;
}

export type Flags = Record<string, FlagSpec>;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  admin: AdminClient;
  /** Print JSON with --json, else the human lines. */
  print: (value: unknown, human: () => string[]) => void;
  io: CliIo;
}

export interface Command {
  /** Words that select it: `['keys', 'create']`. */
  path: string[];
  summary: string;
  /** Positional arguments, e.g. `['<key id>']`; none = positionals are refused. */
  positionals?: string[];
  flags: Flags;
  examples: string[];
  run(ctx: CommandContext): Promise<void>;
}

/** Flags every command takes. */
export const COMMON_FLAGS: Flags = {
  json: { type: 'boolean', description: 'Print the API response as JSON', default: 'false' },
  help: { type: 'boolean', short: 'h', description: 'Show this help', default: 'false' },
};

/** A user mistake: printed as `skyway: <message>`, exit code 2 (usage) or 1 (API). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
