/**
 * The registry of `chartmine` sub-commands, in the order `chartmine --help` lists them. Each command's module is
 * imported only when that command runs (or prints its help): a process loads what its command needs, not every
 * command's dependencies — `chartmine worker` leaves out the HTTP server, the embedded store and the evaluation
 * suites, and `--help` or `--version` answer without loading the pipeline's libraries.
 */
import type { CommandEntry } from './command.js';

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the server: /notify, /healthz, /readyz, the embedded FHIR store and WORKERS in-process workers',
    load: async () => (await import('./serve.command.js')).serveCommand,
  },
  {
    name: 'worker',
    summary: 'run NLP workers only (scale out against the same Redis; needs FHIR_BASE_URL)',
    load: async () => (await import('./worker.command.js')).workerCommand,
  },
  {
    name: 'extract',
    summary: 'analyse a note file (text or DocumentReference JSON) in-process and print the FHIR Bundle; no Redis, no server',
    load: async () => (await import('./extract.command.js')).extractCommand,
  },
  {
    name: 'sentiment',
    summary: 'classify patient feedback (QuestionnaireResponse, Communication, DocumentReference or text) in-process and print the FHIR Bundle',
    load: async () => (await import('./sentiment.command.js')).sentimentCommand,
  },
  {
    name: 'assert',
    summary: 'decide negated / possible / historical / family / hypothetical / affirmed for targets (JSON lines)',
    load: async () => (await import('./assert.command.js')).assertCommand,
  },
  {
    name: 'jobs',
    summary: 'queue status, failed jobs with their reasons, and replay of failed jobs',
    load: async () => (await import('./jobs.command.js')).jobsCommand,
  },
  {
    name: 'eval',
    summary: 'run an evaluation suite and print precision / recall / F1',
    load: async () => (await import('./eval.command.js')).evalCommand,
  },
  {
    name: 'bench',
    summary: 'benchmark the server path, extract, or the rule stages on deterministic synthetic notes',
    load: async () => (await import('./bench.command.js')).benchCommand,
  },
  {
    name: 'terminology',
    summary: 'build, import and inspect the terminology index (SNOMED CT, ICD-10-CM, RxNorm, LOINC)',
    load: async () => (await import('./terminology.command.js')).terminologyCommand,
  },
  {
    name: 'check',
    summary: 'validate the configuration and check that Redis and the FHIR server answer (container health check)',
    load: async () => (await import('./check.command.js')).checkCommand,
  },
  {
    name: 'subscribe',
    summary: 'create the Subscription on the external FHIR server that notifies this Chartmine (PUBLIC_URL/notify)',
    load: async () => (await import('./subscribe.command.js')).subscribeCommand,
  },
  {
    name: 'profiles',
    summary: 'build and check fhir-profiles/ (StructureDefinitions, CodeSystems, SubscriptionTopic, CapabilityStatements); validate Bundles against them',
    load: async () => (await import('./profiles.command.js')).profilesCommand,
  },
  {
    name: 'reprocess',
    summary: 're-run notes through the queue (e.g. after a model or terminology upgrade), writing only differences',
    load: async () => (await import('./reprocess.command.js')).reprocessCommand,
  },
  {
    name: 'feedback',
    summary: 'export reviewer decisions from the FHIR server as JSONL (no note text unless --include-text)',
    load: async () => (await import('./feedback.command.js')).feedbackCommand,
  },
];
