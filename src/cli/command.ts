/** The shape of a `chartmine` sub-command. Each command lives in its own file under `src/cli/`. */

/** Where a command reads and writes; injected so commands can be tested without a child process. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Record<string, string | undefined>;
}

/** A sub-command: `chartmine <name> [args]`. */
export interface CliCommand {
  readonly name: string;
  /** Full text for `chartmine <name> --help`. */
  readonly help: string;
  /**
   * Runs the command.
   * @param args - the arguments after the command name.
   * @param io - streams and environment.
   * @returns the process exit code; long-running commands resolve when they stop.
   */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A registered sub-command: what `chartmine --help` lists, and how to load the command when it is asked for. */
export interface CommandEntry {
  readonly name: string;
  /** One line for `chartmine --help`. */
  readonly summary: string;
  /** Imports the command's module (its dependencies with it). */
  load(): Promise<CliCommand>;
}

/** Thrown for bad command-line usage: the dispatcher prints the message and where to find help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * For commands that take no arguments (their settings come from the environment).
 * @param args - the arguments after the command name.
 * @throws UsageError naming the first one.
 */
export function assertNoArguments(args: readonly string[]): void {
  const [first] = args;
  if (first === undefined) return;
  throw new UsageError(first.startsWith('-') ? `Unknown option '${first}'` : `unexpected argument '${first}'`);
}

/**
 * Thrown for input a command cannot use (a file that is not a note, an unreadable path): the dispatcher prints the
 * one-line message, exit code 1. The message names the input and the rule it breaks, never the input's content.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * Reads all of a stream as bytes.
 * @param stream - the stream, e.g. stdin.
 * @returns its content.
 */
export async function readAllBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks);
}

/**
 * Reads all of a stream as UTF-8.
 * @param stream - the stream, e.g. stdin.
 * @returns its content.
 */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}
