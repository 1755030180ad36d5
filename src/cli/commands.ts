/** The registry of `chartmine` sub-commands, in the order `chartmine --help` lists them. */
import type { CliCommand } from './command.js';
import { evalCommand } from './eval.command.js';
import { extractCommand } from './extract.command.js';
import { serveCommand } from './serve.command.js';
import { terminologyCommand } from './terminology.command.js';
import { workerCommand } from './worker.command.js';

export const COMMANDS: readonly CliCommand[] = [serveCommand, workerCommand, extractCommand, evalCommand, terminologyCommand];
