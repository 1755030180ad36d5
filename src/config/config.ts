import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** The package root (two levels above this file in both `src/` and `dist/src/`), so defaults do not depend on cwd. */
const PACKAGE_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));

/** Default models folder: the one shipped in the package. */
export const DEFAULT_MODELS_DIR = `${PACKAGE_ROOT}models`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Durations: `30s`, `5m`, `1h`, `500ms`; a bare number is seconds. */
const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
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
    QUEUE_NAMESPACE: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
      .optional(),
    FHIR_BASE_URL: z.url().optional(),
    // The embedded store (FHIR_BASE_URL unset): kept in DATA_DIR (`file`), or in memory only (`memory`, for tests).
    STORE: z.enum(['file', 'memory']).default('file'),
    DATA_DIR: z.string().min(1).default('./data'),
    FHIR_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    FHIR_STEP_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
    FHIR_CIRCUIT_THRESHOLD: z.coerce.number().int().min(1).default(5),
    FHIR_CIRCUIT_OPEN_MS: z.coerce.number().int().min(100).default(30_000),
    WORKERS: z.coerce.number().int().min(0).max(64).default(2),
    NOTIFY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    NOTIFY_SECRET_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name')
      .transform((h) => h.toLowerCase())
      .default('authorization'),
    NOTIFY_RATE_LIMIT: z.coerce.number().int().min(0).default(600),
    API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    // Reviewers of the /review page: `<reviewer>=<token>,<reviewer2>=<token2>` (README "Reviewing findings").
    REVIEW_TOKEN: z
      .string()
      .refine(isReviewerList, 'comma-separated <reviewer>=<token> pairs, each token at least 16 characters, reviewers unique')
      .transform(toReviewers)
      .optional(),
    POLL_INTERVAL: durationMs('POLL_INTERVAL').optional(),
    POLL_QUERY: z
      .string()
      .refine(isSafeSearchFilter, 'search parameters like type=...&status=current, without _lastUpdated, _sort or _count')
      .optional(),
    CATCH_UP_SINCE: z.iso.datetime({ offset: true }).optional(),
    FHIR_TOKEN: z.string().min(1).optional(),
    FHIR_CLIENT_ID: z.string().min(1).optional(),
    FHIR_CLIENT_SECRET: z.string().min(1).optional(),
    FHIR_TOKEN_URL: z.url().optional(),
    FHIR_PRIVATE_KEY: z.string().min(1).optional(),
    FHIR_KEY_ID: z.string().min(1).optional(),
    FHIR_SCOPE: z.string().min(1).optional(),
    FETCH_ALLOWLIST: z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
      .refine((list) => list.every(isOrigin), 'comma-separated origins like https://files.example.org')
      .transform((list) => list.map((o) => new URL(o).origin))
      .optional(),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    SHUTDOWN_GRACE: durationMs('SHUTDOWN_GRACE').default(30_000),
    MAX_DOCUMENT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(2 * 1024 * 1024),
    MODELS_DIR: z.string().min(1).default(DEFAULT_MODELS_DIR),
    TERMINOLOGY_DIR: z.string().min(1).optional(),
    TERMINOLOGY_URL: z.url().optional(),
    TERMINOLOGY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    TERMINOLOGY_CACHE_TTL_S: z.coerce.number().int().min(0).default(7 * 24 * 3600),
    TERMINOLOGY_ICD10CM_CONCEPTMAP: z.url().optional(),
    // The assertion → FHIR mapping (README "What is written"): where sites differ.
    VERIFICATION_AFFIRMED: z.enum(['confirmed', 'unconfirmed']).default('confirmed'),
    HISTORICAL_CLINICAL_STATUS: z.enum(['unknown', 'active', 'inactive', 'resolved']).default('unknown'),
    WRITE_HYPOTHETICAL: flag(false),
    WRITE_UNCODED: flag(true),
    PROCESS_PRELIMINARY: flag(false),
    AUDIT_EVENTS: flag(true),
    // The NER model (transformers.js, offline by default): README "The NER model".
    NER_MODEL: z.string().min(1).optional(),
    SENTIMENT_MODEL: z.enum(['lexicon', 'chartmine-sentiment', 'none']).default('lexicon'),
    ALLOW_REMOTE_MODELS: flag(false),
    NER_DTYPE: z.enum(['q8', 'fp32']).default('q8'),
    NER_THREADS: z.coerce.number().int().min(1).max(64).default(1),
    // Worker threads running the NER forward pass, one ONNX session each, shared by every job of the process.
    NER_INFERENCE_THREADS: z.coerce.number().int().min(0).max(64).default(1),
    NER_BATCH_SIZE: z.coerce.number().int().min(1).max(256).default(1), // DEFAULT_NER_BATCH_SIZE: per-sentence deterministic int8 spans
    NER_MAX_TOKENS: z.coerce.number().int().min(8).max(512).optional(),
    NER_LABEL_MAP: z
      .string()
      .min(1)
      .refine(
        (v) => v.split(',').every((part) => part.trim() === '' || /^[^=]+=\s*(PROBLEM|DRUG|TEST)?\s*$/i.test(part)),
        'comma-separated Label=PROBLEM, Label=DRUG, Label=TEST or Label= (dropped)'
      )
      .optional(),
    NER_WRITE_UNCODED: flag(false),
    // Operations (README "Operations"): the queue dashboard, /metrics and tracing.
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    ADMIN_OPEN: flag(false),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    OTEL_SERVICE_NAME: z.string().min(1).max(128).default('chartmine'),
  })
  .superRefine(checkFhirAuth)
  .superRefine((e, ctx) => {
    // An open dashboard can retry and remove jobs: only on a loopback address, never on 0.0.0.0.
    if (e.ADMIN_OPEN && !isLoopbackHost(e.HOST)) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_OPEN'], message: 'only allowed when HOST is a loopback address (set ADMIN_TOKEN instead)' });
    }
  })
  .transform((e) => ({
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    /** Overrides the namespace derived from the FHIR server's base URL (README "Failure behaviour"). */
    queueNamespace: e.QUEUE_NAMESPACE,
    fhir: e.FHIR_BASE_URL
      ? { kind: 'external' as const, baseUrl: withTrailingSlash(e.FHIR_BASE_URL), timeoutMs: e.FHIR_TIMEOUT_MS }
      : { kind: 'embedded' as const, timeoutMs: e.FHIR_TIMEOUT_MS },
    /** Where state that must outlive Redis and restarts is kept: the embedded store, the catch-up watermark. */
    storage: { kind: e.STORE, dataDir: e.DATA_DIR },
    /** The FHIR server's circuit breaker: consecutive timeouts/outages before it opens, and how long it stays open. */
    fhirCircuit: { threshold: e.FHIR_CIRCUIT_THRESHOLD, openMs: e.FHIR_CIRCUIT_OPEN_MS },
    /** One deadline for all FHIR requests of a job step (read, write, audit). */
    fhirStepTimeoutMs: e.FHIR_STEP_TIMEOUT_MS,
    workers: e.WORKERS,
    notifySecret: e.NOTIFY_SECRET,
    apiToken: e.API_TOKEN,
    /** Reviewers allowed on /review (id → bearer token); unset: the page and its API are closed. */
    reviewers: e.REVIEW_TOKEN,
    ingest: {
      /** Header NOTIFY_SECRET is read from (lower case); `Authorization` takes `Bearer <secret>`. */
      secretHeader: e.NOTIFY_SECRET_HEADER,
      /** Requests per minute per client on /notify; 0: no limit. */
      rateLimitPerMinute: e.NOTIFY_RATE_LIMIT,
      pollIntervalMs: e.POLL_INTERVAL,
      pollQuery: e.POLL_QUERY,
      catchUpSince: e.CATCH_UP_SINCE,
    },
    fhirAuth: toFhirAuth(e),
    fetchAllowlist: e.FETCH_ALLOWLIST ?? [],
    logLevel: e.LOG_LEVEL,
    /** SIGTERM to exit: running jobs get this less 5 s (at most half) to finish; past it the process exits 1. */
    shutdownGraceMs: e.SHUTDOWN_GRACE,
    maxDocumentBytes: e.MAX_DOCUMENT_BYTES,
    modelsDir: e.MODELS_DIR,
    terminology: {
      dir: e.TERMINOLOGY_DIR ?? `${e.MODELS_DIR.replace(/\/+$/, '')}/terminology`,
      server: e.TERMINOLOGY_URL
        ? {
            baseUrl: e.TERMINOLOGY_URL,
            timeoutMs: e.TERMINOLOGY_TIMEOUT_MS,
            cacheTtlSeconds: e.TERMINOLOGY_CACHE_TTL_S,
            icd10cmConceptMap: e.TERMINOLOGY_ICD10CM_CONCEPTMAP,
          }
        : undefined,
    },
    mapping: {
      verificationAffirmed: e.VERIFICATION_AFFIRMED,
      historicalClinicalStatus: e.HISTORICAL_CLINICAL_STATUS,
      writeHypothetical: e.WRITE_HYPOTHETICAL,
      writeUncoded: e.WRITE_UNCODED,
    },
    processPreliminary: e.PROCESS_PRELIMINARY,
    /** Patient-feedback sentiment classifier; `none`: feedback jobs are queued but not consumed. */
    sentimentModel: e.SENTIMENT_MODEL,
    auditEvents: e.AUDIT_EVENTS,
    ner: {
      /** `undefined`: the shipped model when it is in MODELS_DIR; `none`: no model. */
      model: e.NER_MODEL,
      allowRemoteModels: e.ALLOW_REMOTE_MODELS,
      dtype: e.NER_DTYPE,
      /** ONNX Runtime intra-op threads per session. */
      threads: e.NER_THREADS,
      /** Worker threads with a session each (a local model only); 0: the forward pass runs on the main thread. */
      inferenceThreads: e.NER_INFERENCE_THREADS,
      batchSize: e.NER_BATCH_SIZE,
      maxTokens: e.NER_MAX_TOKENS,
      labelMap: e.NER_LABEL_MAP,
      /** Write findings only the model found that the terminology cannot code (as `code.text`). */
      writeUncoded: e.NER_WRITE_UNCODED,
    },
    operations: {
      /** Bearer token of `/admin/queues` (ADMIN_TOKEN, else API_TOKEN); unset: closed unless `open`. */
      adminToken: e.ADMIN_TOKEN ?? e.API_TOKEN,
      /** ADMIN_OPEN: the dashboard without a token, only allowed when HOST is loopback. */
      adminOpen: e.ADMIN_OPEN,
      /** Bearer token of `/metrics`; unset: open on loopback, closed otherwise. */
      metricsToken: e.METRICS_TOKEN,
      /** A port of its own for `/metrics` (0: none); the only one a `chartmine worker` serves. */
      metricsPort: e.METRICS_PORT,
      /** Tracing is on only when an OTLP endpoint is set. */
      tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME } : undefined,
    },
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

/** How Chartmine authenticates to an external FHIR server. Secrets stay in here; never log this object. */
export type FhirAuthConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: string }
  | {
      readonly kind: 'client-credentials';
      readonly clientId: string;
      readonly clientSecret: string;
      readonly tokenUrl: string;
      readonly scope: string | undefined;
    }
  | {
      readonly kind: 'smart-backend';
      readonly clientId: string;
      /** Path of the PEM private key file (RSA → RS384, EC P-384 → ES384). */
      readonly privateKeyPath: string;
      readonly keyId: string;
      /** Unset: discovered from `<FHIR_BASE_URL>/.well-known/smart-configuration`. */
      readonly tokenUrl: string | undefined;
      readonly scope: string;
    };

/** SMART Backend Services needs a scope; this one lets Chartmine read notes and write what it derives. */
export const DEFAULT_SMART_SCOPE = 'system/DocumentReference.read system/Binary.read system/*.write system/Device.read';

type FhirAuthVars = {
  FHIR_BASE_URL?: string | undefined;
  FHIR_TOKEN?: string | undefined;
  FHIR_CLIENT_ID?: string | undefined;
  FHIR_CLIENT_SECRET?: string | undefined;
  FHIR_TOKEN_URL?: string | undefined;
  FHIR_PRIVATE_KEY?: string | undefined;
  FHIR_KEY_ID?: string | undefined;
  FHIR_SCOPE?: string | undefined;
};

function checkFhirAuth(e: FhirAuthVars, ctx: z.RefinementCtx): void {
  const problem = (variable: string, message: string): void => {
    ctx.addIssue({ code: 'custom', path: [variable], message });
  };
  const authVars = (['FHIR_TOKEN', 'FHIR_CLIENT_ID', 'FHIR_CLIENT_SECRET', 'FHIR_PRIVATE_KEY'] as const).filter((k) => e[k] !== undefined);
  if (authVars.length > 0 && !e.FHIR_BASE_URL) {
    problem(authVars[0], 'only used with FHIR_BASE_URL');
  }
  if (e.FHIR_TOKEN && (e.FHIR_CLIENT_ID || e.FHIR_PRIVATE_KEY)) {
    problem('FHIR_TOKEN', 'choose one: a static token, or FHIR_CLIENT_ID with FHIR_CLIENT_SECRET or FHIR_PRIVATE_KEY');
  }
  if (e.FHIR_CLIENT_SECRET && e.FHIR_PRIVATE_KEY) {
    problem('FHIR_PRIVATE_KEY', 'choose one: FHIR_CLIENT_SECRET (client credentials) or FHIR_PRIVATE_KEY (SMART Backend Services)');
  }
  if ((e.FHIR_CLIENT_SECRET || e.FHIR_PRIVATE_KEY) && !e.FHIR_CLIENT_ID) {
    problem('FHIR_CLIENT_ID', 'required with FHIR_CLIENT_SECRET or FHIR_PRIVATE_KEY');
  }
  if (e.FHIR_CLIENT_ID && !e.FHIR_CLIENT_SECRET && !e.FHIR_PRIVATE_KEY) {
    problem('FHIR_CLIENT_ID', 'needs FHIR_CLIENT_SECRET or FHIR_PRIVATE_KEY');
  }
  if (e.FHIR_CLIENT_SECRET && !e.FHIR_TOKEN_URL) {
    problem('FHIR_TOKEN_URL', 'required with FHIR_CLIENT_SECRET');
  }
  if (e.FHIR_PRIVATE_KEY && !e.FHIR_KEY_ID) {
    problem('FHIR_KEY_ID', 'required with FHIR_PRIVATE_KEY');
  }
}

function toFhirAuth(e: FhirAuthVars): FhirAuthConfig {
  if (e.FHIR_TOKEN) return { kind: 'bearer', token: e.FHIR_TOKEN };
  if (e.FHIR_CLIENT_ID && e.FHIR_CLIENT_SECRET && e.FHIR_TOKEN_URL) {
    return { kind: 'client-credentials', clientId: e.FHIR_CLIENT_ID, clientSecret: e.FHIR_CLIENT_SECRET, tokenUrl: e.FHIR_TOKEN_URL, scope: e.FHIR_SCOPE };
  }
  if (e.FHIR_CLIENT_ID && e.FHIR_PRIVATE_KEY && e.FHIR_KEY_ID) {
    return {
      kind: 'smart-backend',
      clientId: e.FHIR_CLIENT_ID,
      privateKeyPath: e.FHIR_PRIVATE_KEY,
      keyId: e.FHIR_KEY_ID,
      tokenUrl: e.FHIR_TOKEN_URL,
      scope: e.FHIR_SCOPE ?? DEFAULT_SMART_SCOPE,
    };
  }
  return { kind: 'none' };
}

/** A duration like `30s`, `5m`, `1h` or `500ms` (a bare number is seconds), at least one second. */
function durationMs(name: string) {
  return z
    .string()
    .regex(DURATION, `${name} is a duration like 30s, 5m or 1h`)
    .transform((v) => {
      const [, amount, unit] = DURATION.exec(v) as RegExpExecArray;
      return Number(amount) * UNIT_MS[unit ?? 's'];
    })
    .refine((ms) => ms >= 1_000, 'at least 1s');
}

/** A search filter Chartmine appends to its own `_lastUpdated` search: it must not override paging or order. */
function isSafeSearchFilter(value: string): boolean {
  if (/[\s#]/.test(value) || value.startsWith('?')) return false;
  const params = new URLSearchParams(value);
  const names = [...params.keys()];
  return names.length > 0 && names.every((n) => /^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(n) && !['_lastUpdated', '_sort', '_count', '_offset'].includes(n));
}

function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && (url.pathname === '/' || url.pathname === '');
}

/**
 * Whether a bind address is loopback only.
 * @param host - HOST.
 * @returns true for localhost, 127.x.x.x and ::1.
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A reviewer of the /review page and the bearer token that identifies them. Never log the token. */
export interface ReviewerCredential {
  /** `Practitioner/<id>` (referenced in Provenance) or any other identifier (written as an identifier). */
  readonly id: string;
  readonly token: string;
}

/** Tokens shorter than this are refused: they would be guessable. */
const MIN_REVIEW_TOKEN_CHARS = 16;

function splitReviewers(value: string): { id: string; token: string }[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const at = part.indexOf('=');
      return at < 0 ? { id: '', token: '' } : { id: part.slice(0, at).trim(), token: part.slice(at + 1).trim() };
    });
}

function isReviewerList(value: string): boolean {
  const list = splitReviewers(value);
  const ids = new Set(list.map((r) => r.id));
  const tokens = new Set(list.map((r) => r.token));
  return (
    list.length > 0 &&
    ids.size === list.length &&
    tokens.size === list.length &&
    list.every((r) => /^[A-Za-z0-9_.@:/-]{1,128}$/.test(r.id) && r.token.length >= MIN_REVIEW_TOKEN_CHARS)
  );
}

function toReviewers(value: string): readonly ReviewerCredential[] {
  return Object.freeze(splitReviewers(value).map((r) => Object.freeze(r)));
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
