/** The registry of `chartmine` sub-commands, in the order `chartmine --help` lists them. */
import type { CliCommand } from './command.js';
import { evalCommand } from './eval.command.js';
import { terminologyCommand } from './terminology.command.js';

export const COMMANDS: readonly CliCommand[] = [evalCommand, terminologyCommand];
