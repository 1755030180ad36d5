import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** The package root (two levels above this file in both `src/` and `dist/src/`), so defaults do not depend on cwd. */
const PACKAGE_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));

/** Default models folder: the one shipped in the package. */
export const DEFAULT_MODELS_DIR = `${PACKAGE_ROOT}models`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A `true`/`false` variable (also `1`/`0`). */
const flag = (byDefault: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .default(byDefault ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Every environment variable Chartmine reads, with its default. Documented in README.md and `.env.example`. */
const schema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('127.0.0.1'),
    PUBLIC_URL: z.url().optional(),
    REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, _ and - only')
      .default('chartmine'),
    FHIR_BASE_URL: z.url().optional(),
    FHIR_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    WORKERS: z.coerce.number().int().min(0).max(64).default(2),
    NOTIFY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    MAX_DOCUMENT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(2 * 1024 * 1024),
    MODELS_DIR: z.string().min(1).default(DEFAULT_MODELS_DIR),
    // The assertion → FHIR mapping (README "What is written"): where sites differ.
    VERIFICATION_AFFIRMED: z.enum(['confirmed', 'unconfirmed']).default('confirmed'),
    HISTORICAL_CLINICAL_STATUS: z.enum(['unknown', 'active', 'inactive', 'resolved']).default('unknown'),
    WRITE_HYPOTHETICAL: flag(false),
    WRITE_UNCODED: flag(true),
    PROCESS_PRELIMINARY: flag(false),
    AUDIT_EVENTS: flag(true),
  })
  .transform((e) => ({
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    fhir: e.FHIR_BASE_URL
      ? { kind: 'external' as const, baseUrl: withTrailingSlash(e.FHIR_BASE_URL), timeoutMs: e.FHIR_TIMEOUT_MS }
      : { kind: 'embedded' as const, timeoutMs: e.FHIR_TIMEOUT_MS },
    workers: e.WORKERS,
    notifySecret: e.NOTIFY_SECRET,
    logLevel: e.LOG_LEVEL,
    maxDocumentBytes: e.MAX_DOCUMENT_BYTES,
    modelsDir: e.MODELS_DIR,
    mapping: {
      verificationAffirmed: e.VERIFICATION_AFFIRMED,
      historicalClinicalStatus: e.HISTORICAL_CLINICAL_STATUS,
      writeHypothetical: e.WRITE_HYPOTHETICAL,
      writeUncoded: e.WRITE_UNCODED,
    },
    processPreliminary: e.PROCESS_PRELIMINARY,
    auditEvents: e.AUDIT_EVENTS,
  }));

/** The validated, frozen configuration. */
export type Config = Readonly<z.output<typeof schema>>;

/** Variables that are set in an `.env`-style record, for a variable table in `--help`. */
export const CONFIG_VARIABLES = Object.keys(schema.in.shape) as readonly string[];

/**
 * Parses the environment once.
 * @param env - the environment (defaults to `process.env`).
 * @returns the frozen configuration.
 * @throws ConfigError naming each invalid variable, never its value (secrets may be among them).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant = Object.fromEntries(
    CONFIG_VARIABLES.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]])
  );
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
