/** Runs `chartmine` in-process (the same dispatcher the executable uses) and captures what it prints. */
import { PassThrough, Readable } from 'node:stream';
import { COMMANDS } from '../../src/cli/commands.js';
import { dispatch } from '../../src/cli/dispatch.js';

/** What a run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `chartmine <args>`.
 * @param args - the arguments after `chartmine`.
 * @param env - the environment the command sees (nothing else of the test process's).
 * @param stdin - what the command reads on stdin.
 * @returns the exit code and the captured output.
 */
export async function runCli(args: readonly string[], env: Record<string, string | undefined> = {}, stdin = ''): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await dispatch(args, COMMANDS, { stdin: Readable.from([stdin]), stdout, stderr, env });
  return { code, out, err };
}
