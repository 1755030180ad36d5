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
  /** One line for `chartmine --help`. */
  readonly summary: string;
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

/** Thrown for bad command-line usage: the dispatcher prints the message and the command's help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
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
