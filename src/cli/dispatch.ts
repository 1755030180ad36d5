import { AppError, ConfigError, MissingInputError, ModelError, UpstreamRejectedError } from '../errors.js';
import { CHARTMINE_VERSION } from '../version.js';
import type { CliCommand, CliIo } from './command.js';
import { UsageError } from './command.js';

/** Exit code for invalid configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * Builds the top-level help text.
 * @param commands - the registered commands.
 * @returns the text printed by `chartmine --help`.
 */
export function buildTopLevelHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'chartmine: clinical notes in, coded FHIR out.',
    '',
    'Usage: chartmine <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `chartmine <command> --help` for a command\'s options. Configuration comes from environment variables;',
    'see README.md ("Configuration").',
    '',
  ].join('\n');
}

/**
 * Runs `chartmine` with the given arguments.
 * @param argv - the arguments after the executable.
 * @param commands - the registered commands.
 * @param io - streams and environment.
 * @returns the exit code.
 */
export async function dispatch(argv: readonly string[], commands: readonly CliCommand[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(target ? `${target.help.trimEnd()}\n` : buildTopLevelHelp(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${CHARTMINE_VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`chartmine: unknown command '${name}'\n\n${buildTopLevelHelp(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.help.trimEnd()}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err: unknown) {
    if (err instanceof UsageError) {
      io.stderr.write(`chartmine ${name}: ${err.message}\n\n${command.help.trimEnd()}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`chartmine ${name}: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    if (err instanceof ModelError || err instanceof MissingInputError) {
      io.stderr.write(`chartmine ${name}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof AppError) {
      // A refused or failed request to the FHIR server (or Redis): one line, never a stack trace. AppError
      // messages name ids, statuses and codes only, so they are safe to print.
      io.stderr.write(`chartmine ${name}: ${err.message}${authHint(err)}\n`);
      return 1;
    }
    throw err;
  }
}

/** A hint for a refused request: 401/403 are almost always missing or wrong credentials. */
function authHint(err: AppError): string {
  if (!(err instanceof UpstreamRejectedError) || (err.status !== 401 && err.status !== 403)) return '';
  return ' (check FHIR_TOKEN, or FHIR_CLIENT_ID with FHIR_CLIENT_SECRET/FHIR_PRIVATE_KEY, and the client\'s access)';
}
