import { loadConfig } from '../config/config.js';
import { assertPipelinePaths } from '../config/preflight.js';
import { createLogger } from '../observability/logger.js';
import { loadPipeline } from '../pipeline-loader.js';
import { startWorkerProcess } from '../worker-runtime.js';
import type { CliCommand } from './command.js';
import { assertNoArguments } from './command.js';
import { configurationHelp } from './configuration-help.js';
import { startConfiguredTracing } from '../runtime-operations.js';
import { runUntilStopped, settleStartUp } from './process-lifecycle.js';

/** `chartmine worker`: analyse queued notes, nothing else. */
export const workerCommand: CliCommand = {
  name: 'worker',
  help: [
    'Usage: chartmine worker',
    '',
    'Takes analyze-note jobs from Redis (REDIS_URL, QUEUE_PREFIX) and writes results to FHIR_BASE_URL, which is',
    'required: an external FHIR server, or a Chartmine server\'s embedded store (http://<server>:8080/fhir/R4).',
    'It takes only that server\'s jobs: the queue namespace is derived from FHIR_BASE_URL (the same URL the server',
    'is known by: its PUBLIC_URL or listen address), or set with QUEUE_NAMESPACE (see /readyz of the server).',
    'WORKERS sets how many notes it analyses at once. Stops cleanly on SIGTERM/SIGINT (drains running jobs).',
    '',
    configurationHelp('worker'),
  ].join('\n'),
  async run(args, io) {
    assertNoArguments(args);
    const config = loadConfig(io.env);
    assertPipelinePaths(config);
    const log = createLogger(config.logLevel);
    const tracing = await startConfiguredTracing(config, log);
    const handle = await startWorkerProcess(config, log, (edges) => loadPipeline(config, edges));
    await settleStartUp(log);
    return runUntilStopped(log, (drainMs) => handle.close(drainMs).finally(() => tracing?.shutdown()), config.shutdownGraceMs);
  },
};
