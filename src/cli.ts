#!/usr/bin/env node
/** The `chartmine` executable: dispatches to a sub-command. */
import { COMMANDS } from './cli/commands.js';
import { dispatch } from './cli/dispatch.js';

/** How long the process may linger after its command returned (sockets still closing) before it exits anyway. */
const EXIT_LINGER_MS = 1_000;

const code = await dispatch(process.argv.slice(2), COMMANDS, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
// A command that failed while starting (or stopped) may leave a connection retrying in the background: the
// command's answer is final, so do not wait for it. The timer does not itself keep the process alive.
setTimeout(() => process.exit(code), EXIT_LINGER_MS).unref();
