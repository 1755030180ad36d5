/**
 * Turns anything a command throws into one line on stderr and an exit code: no stack trace ever reaches a user.
 * 2: usage (unknown option, missing value); 78: configuration (sysexits EX_CONFIG); 1: everything else.
 */
import { AppError, ConfigError, MissingInputError, UpstreamRejectedError } from '../errors.js';
import { InputError, UsageError } from './command.js';

/** Exit code for invalid configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
/** Exit code for bad command-line usage. */
export const EXIT_USAGE = 2;

/** What the dispatcher prints and returns for a failed command. */
export interface CliFailure {
  readonly code: number;
  /** One line, without the `chartmine <command>: ` prefix. */
  readonly message: string;
}

/** What Node's file-system errors mean, in words (the error's own message repeats the syscall). */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on device',
};

/** Error classes of ours outside the AppError family (terminology files, HTTP to FHIR): their messages are safe. */
const OWN_ERROR_NAMES = new Set(['TerminologyLoadError', 'IndexFormatError', 'CuratedListError', 'FhirHttpError', 'MissingInputError']);

/**
 * Classifies a command's failure.
 * @param err - anything a command threw.
 * @returns the exit code and a one-line message.
 */
export function toCliFailure(err: unknown): CliFailure {
  if (err instanceof UsageError) return { code: EXIT_USAGE, message: firstLine(err.message) };
  const nodeCode = (err as { code?: unknown } | null)?.code;
  if (typeof nodeCode === 'string' && nodeCode.startsWith('ERR_PARSE_ARGS_')) {
    // Node's text continues with advice about `--`; its first sentence names the option.
    return { code: EXIT_USAGE, message: firstLine((err as Error).message).replace(/\. To specify a positional.*$/, '') };
  }
  if (err instanceof ConfigError) return { code: EXIT_CONFIG, message: firstLine(err.message) };
  if (err instanceof AppError || err instanceof InputError || err instanceof MissingInputError) {
    // A refused or failed request to the FHIR server (or Redis) included: AppError messages name ids, statuses and
    // codes only, so they are safe to print.
    return { code: 1, message: `${firstLine(err.message)}${authHint(err)}` };
  }
  if (typeof nodeCode === 'string' && nodeCode in SYSTEM_ERRORS) {
    const path = (err as { path?: unknown }).path;
    return { code: 1, message: typeof path === 'string' ? `${path}: ${SYSTEM_ERRORS[nodeCode]}` : SYSTEM_ERRORS[nodeCode] };
  }
  if (err instanceof Error && OWN_ERROR_NAMES.has(err.name)) return { code: 1, message: firstLine(err.message) };
  if (err instanceof Error) {
    // A library's error: its name and the start of its first line (some, like JSON parsers, quote their input).
    const code = typeof nodeCode === 'string' ? ` ${nodeCode}` : '';
    return { code: 1, message: `${err.name}${code}: ${firstLine(err.message).slice(0, 200)}` };
  }
  return { code: 1, message: `failed (${typeof err})` };
}

/**
 * A hint for a refused request: 401/403 are almost always missing or wrong credentials.
 * @param err - the failure.
 * @returns the hint, or nothing.
 */
function authHint(err: Error): string {
  if (!(err instanceof UpstreamRejectedError) || (err.status !== 401 && err.status !== 403)) return '';
  return ' (check FHIR_TOKEN, or FHIR_CLIENT_ID with FHIR_CLIENT_SECRET/FHIR_PRIVATE_KEY, and the client\'s access)';
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}
