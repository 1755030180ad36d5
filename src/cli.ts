#!/usr/bin/env node
/** The `chartmine` executable: dispatches to a sub-command. */
import { COMMANDS } from './cli/commands.js';
import { dispatch } from './cli/dispatch.js';

const code = await dispatch(process.argv.slice(2), COMMANDS, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
