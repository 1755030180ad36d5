/** The registry of `chartmine` sub-commands, in the order `chartmine --help` lists them. */
import { assertCommand } from './assert.command.js';
import type { CliCommand } from './command.js';
import { evalCommand } from './eval.command.js';

export const COMMANDS: readonly CliCommand[] = [evalCommand, assertCommand];
