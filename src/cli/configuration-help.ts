/**
 * The environment variables, for `--help` of the commands that read them: each command lists only the settings it
 * uses. Keep in step with README.md ("Configuration").
 */

/** One line per variable (or group of variables read together). */
const LINES: Record<string, string> = {
  PORT: '  PORT=8080                HTTP port (0: any free port)',
  HOST: '  HOST=127.0.0.1           bind address (0.0.0.0 in containers)',
  PUBLIC_URL: '  PUBLIC_URL               public base URL of this server',
  REDIS_URL: '  REDIS_URL=redis://127.0.0.1:6379',
  QUEUE_PREFIX: '  QUEUE_PREFIX=chartmine   Redis key prefix of the queues',
  FHIR_BASE_URL: '  FHIR_BASE_URL            external FHIR R4 server; unset: the embedded store at /fhir/R4',
  FHIR_TIMEOUT_MS: '  FHIR_TIMEOUT_MS=30000    per-request timeout towards the FHIR server',
  FHIR_STEP_TIMEOUT_MS: '  FHIR_STEP_TIMEOUT_MS=300000  one deadline for the FHIR requests of a job step (read, write, audit)',
  FHIR_CIRCUIT: '  FHIR_CIRCUIT_THRESHOLD=5 FHIR_CIRCUIT_OPEN_MS=30000  circuit breaker on the FHIR server',
  QUEUE_NAMESPACE: '  QUEUE_NAMESPACE=         override the queue namespace (default: hash of the FHIR base URL)',
  STORE: [
    '  STORE=file               embedded store kept in DATA_DIR (file) or in memory only (memory: tests)',
    '  DATA_DIR=./data          embedded store and catch-up watermark; one server per folder',
  ].join('\n'),
  WORKERS: '  WORKERS=2                notes analysed at once in this process (0: none)',
  NOTIFY_SECRET: '  NOTIFY_SECRET            shared secret notifications must carry (unset: no authentication)',
  NOTIFY_SECRET_HEADER: '  NOTIFY_SECRET_HEADER=Authorization  header carrying it (`Bearer <secret>`); X-Signature HMAC always works',
  NOTIFY_RATE_LIMIT: '  NOTIFY_RATE_LIMIT=600    /notify requests per minute per client (0: no limit)',
  API_TOKEN: '  API_TOKEN                bearer token the embedded /fhir/R4 requires (unset: open)',
  REVIEW_TOKEN: '  REVIEW_TOKEN             reviewers of /review: <reviewer>=<token>,... (unset: /review closed)',
  POLL_INTERVAL: '  POLL_INTERVAL            poll the FHIR server for changed notes, e.g. 30s, 5m (unset: no polling)',
  POLL_QUERY: '  POLL_QUERY               filter of every catch-up search, e.g. type=http://loinc.org|11506-3',
  CATCH_UP_SINCE: '  CATCH_UP_SINCE           instant the first catch-up starts from (unset: every note)',
  FHIR_AUTH: [
    '  FHIR_TOKEN               static bearer token for FHIR_BASE_URL',
    '  FHIR_CLIENT_ID, FHIR_CLIENT_SECRET, FHIR_TOKEN_URL   OAuth2 client credentials',
    '  FHIR_CLIENT_ID, FHIR_PRIVATE_KEY, FHIR_KEY_ID        SMART Backend Services (private key JWT)',
    '  FHIR_SCOPE               scope asked for with a token',
  ].join('\n'),
  FETCH_ALLOWLIST: '  FETCH_ALLOWLIST          other origins attachment URLs may point at (comma-separated)',
  MAX_DOCUMENT_BYTES: '  MAX_DOCUMENT_BYTES=2097152  largest note accepted',
  LOG_LEVEL: '  LOG_LEVEL=info           fatal|error|warn|info|debug|trace|silent',
  SHUTDOWN_GRACE: '  SHUTDOWN_GRACE=30s       SIGTERM to exit at most; running jobs get all but 5 s of it to finish',
  MODELS_DIR: "  MODELS_DIR               models, lexicons and terminology (default: the package's models/)",
  TERMINOLOGY: [
    '  TERMINOLOGY_DIR          terminology index folder (default: $MODELS_DIR/terminology)',
    '  TERMINOLOGY_URL          FHIR terminology server for codes outside the index (cached in Redis)',
    '  TERMINOLOGY_TIMEOUT_MS=10000  TERMINOLOGY_CACHE_TTL_S=604800  TERMINOLOGY_ICD10CM_CONCEPTMAP',
  ].join('\n'),
  MAPPING: [
    '  VERIFICATION_AFFIRMED=confirmed      verificationStatus of affirmed problems: confirmed|unconfirmed',
    '  HISTORICAL_CLINICAL_STATUS=unknown   clinicalStatus of past problems: unknown (none)|active|inactive|resolved',
    '  WRITE_HYPOTHETICAL=false             write hypothetical mentions (unconfirmed / intended)',
    '  WRITE_UNCODED=true                   write mentions without a terminology code as code.text',
  ].join('\n'),
  RUNS: [
    '  PROCESS_PRELIMINARY=false            analyse notes whose docStatus is preliminary',
    '  AUDIT_EVENTS=true                    write an AuditEvent per processing run',
  ].join('\n'),
  NER: [
    '  NER_MODEL                NER model folder in MODELS_DIR (default: the shipped chartmine-ner when present; none: off)',
    '  ALLOW_REMOTE_MODELS=false  NER_DTYPE=q8  NER_THREADS=1  NER_BATCH_SIZE=1  NER_MAX_TOKENS  NER_LABEL_MAP',
    '  NER_INFERENCE_THREADS=1  worker threads running the model, a session each (0: main thread)',
    '  NER_WRITE_UNCODED=false  write findings only the model found that no terminology code was found for',
  ].join('\n'),
  ADMIN: [
    '  ADMIN_TOKEN              bearer token of the queue dashboard /admin/queues (default: API_TOKEN; none: closed)',
    '  ADMIN_OPEN=false         open the dashboard without a token (only with a loopback HOST)',
  ].join('\n'),
  METRICS_TOKEN: '  METRICS_TOKEN            bearer token of /metrics (unset: open on a loopback HOST, closed otherwise)',
  METRICS_PORT: '  METRICS_PORT=0           a port of its own for /metrics (0: none; `chartmine worker` has no other)',
  OTEL: [
    '  OTEL_EXPORTER_OTLP_ENDPOINT  OTLP/HTTP endpoint for traces, e.g. http://127.0.0.1:4318 (unset: tracing off)',
    '  OTEL_SERVICE_NAME=chartmine  service name on the traces',
  ].join('\n'),
  SENTIMENT: '  SENTIMENT_MODEL=lexicon  patient-feedback sentiment: lexicon, chartmine-sentiment or none (feedback queued, not consumed)',
};

/** What the NLP pipeline reads (every command that runs it). */
const PIPELINE = ['MODELS_DIR', 'TERMINOLOGY', 'NER', 'SENTIMENT'];
/** What a worker reads besides the pipeline. */
const WORKER = ['REDIS_URL', 'QUEUE_PREFIX', 'QUEUE_NAMESPACE', 'FHIR_TIMEOUT_MS', 'FHIR_STEP_TIMEOUT_MS', 'FHIR_CIRCUIT', 'FHIR_AUTH', 'FETCH_ALLOWLIST', 'WORKERS', 'MAX_DOCUMENT_BYTES', 'MAPPING', 'RUNS'];

/** The settings each command reads. */
export const COMMAND_SETTINGS = {
  serve: ['PORT', 'HOST', 'PUBLIC_URL', 'FHIR_BASE_URL', 'STORE', ...WORKER, 'NOTIFY_SECRET', 'NOTIFY_SECRET_HEADER', 'NOTIFY_RATE_LIMIT', 'API_TOKEN', 'REVIEW_TOKEN', 'POLL_INTERVAL', 'POLL_QUERY', 'CATCH_UP_SINCE', ...PIPELINE, 'ADMIN', 'METRICS_TOKEN', 'METRICS_PORT', 'OTEL', 'LOG_LEVEL', 'SHUTDOWN_GRACE'],
  worker: [...WORKER, ...PIPELINE, 'HOST', 'METRICS_TOKEN', 'METRICS_PORT', 'OTEL', 'LOG_LEVEL', 'SHUTDOWN_GRACE'],
  check: ['REDIS_URL', 'FHIR_BASE_URL', 'FHIR_TIMEOUT_MS', 'FHIR_AUTH'],
  reprocess: ['REDIS_URL', 'QUEUE_PREFIX', 'QUEUE_NAMESPACE', 'FHIR_BASE_URL', 'PORT', 'FHIR_TIMEOUT_MS'],
  feedback: ['FHIR_BASE_URL', 'PORT', 'API_TOKEN', 'FHIR_TIMEOUT_MS', 'FHIR_AUTH', 'MAX_DOCUMENT_BYTES'],
} as const satisfies Record<string, readonly string[]>;

/**
 * The `Environment:` block of a command's help.
 * @param command - the command.
 * @returns the lines of the settings it reads.
 */
export function configurationHelp(command: keyof typeof COMMAND_SETTINGS): string {
  const lines = COMMAND_SETTINGS[command].map((name) => LINES[name]);
  if (command === 'worker') {
    lines.unshift('  FHIR_BASE_URL            required: the FHIR server (or a server\'s embedded store, http://<server>:8080/fhir/R4)');
  }
  if (command === 'reprocess') {
    lines[COMMAND_SETTINGS.reprocess.indexOf('FHIR_BASE_URL')] = '  FHIR_BASE_URL            FHIR server the notes are listed from (unset: http://127.0.0.1:$PORT/fhir/R4)';
  }
  if (command === 'feedback') {
    lines[0] = '  FHIR_BASE_URL            FHIR server the decisions are read from (unset: http://127.0.0.1:$PORT/fhir/R4)';
  }
  return ['Environment:', ...lines].join('\n');
}
