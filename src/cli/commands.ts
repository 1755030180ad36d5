/** The registry of `chartmine` sub-commands, in the order `chartmine --help` lists them. One per line. */
import { assertCommand } from './assert.command.js';
import { benchCommand } from './bench.command.js';
import { checkCommand } from './check.command.js';
import type { CliCommand } from './command.js';
import { evalCommand } from './eval.command.js';
import { extractCommand } from './extract.command.js';
import { feedbackCommand } from './feedback.command.js';
import { jobsCommand } from './jobs.command.js';
import { profilesCommand } from './profiles.command.js';
import { reprocessCommand } from './reprocess.command.js';
import { sentimentCommand } from './sentiment.command.js';
import { serveCommand } from './serve.command.js';
import { subscribeCommand } from './subscribe.command.js';
import { terminologyCommand } from './terminology.command.js';
import { workerCommand } from './worker.command.js';

export const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  workerCommand,
  extractCommand,
  sentimentCommand,
  assertCommand,
  jobsCommand,
  evalCommand,
  benchCommand,
  terminologyCommand,
  checkCommand,
  subscribeCommand,
  profilesCommand,
  reprocessCommand,
  feedbackCommand,
];
