/** The environment variables, for `--help` of the long-running commands. Keep in step with README.md. */
export const CONFIGURATION_HELP = [
  'Environment:',
  '  PORT=8080                HTTP port (0: any free port)',
  '  HOST=127.0.0.1           bind address (0.0.0.0 in containers)',
  '  REDIS_URL=redis://127.0.0.1:6379',
  '  QUEUE_PREFIX=chartmine   Redis key prefix of the queues',
  '  FHIR_BASE_URL            external FHIR R4 server; unset: the embedded store at /fhir/R4',
  '  FHIR_TIMEOUT_MS=30000    per-request timeout towards the FHIR server',
  '  WORKERS=2                notes analysed at once in this process (0: none)',
  '  NOTIFY_SECRET            shared secret notifications must carry (unset: no authentication)',
  '  MAX_DOCUMENT_BYTES=2097152  largest note accepted',
  '  LOG_LEVEL=info           fatal|error|warn|info|debug|trace|silent',
  '  MODELS_DIR               models, lexicons and terminology (default: the package\'s models/)',
].join('\n');
