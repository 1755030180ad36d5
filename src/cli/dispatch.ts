import { CHARTMINE_VERSION } from '../version.js';
import { EXIT_USAGE, toCliFailure } from './cli-failure.js';
import type { CliIo, CommandEntry } from './command.js';

export { EXIT_CONFIG } from './cli-failure.js';

/**
 * Builds the top-level help text.
 * @param commands - the registered commands.
 * @returns the text printed by `chartmine --help`.
 */
export function buildTopLevelHelp(commands: readonly CommandEntry[]): string {
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
 * @param commands - the registered commands (each loaded only when it is the one asked for).
 * @param io - streams and environment.
 * @returns the exit code.
 */
export async function dispatch(argv: readonly string[], commands: readonly CommandEntry[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const entry = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(entry ? `${(await entry.load()).help.trimEnd()}\n` : buildTopLevelHelp(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${CHARTMINE_VERSION}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`chartmine: unknown command '${name}'\n\n${buildTopLevelHelp(commands)}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.help.trimEnd()}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err: unknown) {
    // One line, never a stack trace: usage errors add where the help is.
    const failure = toCliFailure(err);
    const hint = failure.code === EXIT_USAGE ? ` (see \`chartmine ${name} --help\`)` : '';
    io.stderr.write(`chartmine ${name}: ${failure.message}${hint}\n`);
    return failure.code;
  }
}
