/** Every `skyway` command, in the order the help lists them. */
import type { Command } from '../command.js';
import { keysCreate } from './keys-create.js';
import { keysList } from './keys-list.js';
import { keysRevoke } from './keys-revoke.js';
import { keysRotate } from './keys-rotate.js';
import { spend } from './spend.js';

export const COMMANDS: readonly Command[] = [keysCreate, keysList, keysRevoke, keysRotate, spend];
