import { loadConfig } from '../config/config.js';
import { assertListenHost, assertPipelinePaths } from '../config/preflight.js';
import { createLogger } from '../observability/logger.js';
import { securityWarnings, startServer } from '../runtime.js';
import type { CliCommand } from './command.js';
import { assertNoArguments } from './command.js';
import { configurationHelp } from './configuration-help.js';
import { startConfiguredTracing } from '../runtime-operations.js';
import { runUntilStopped, settleStartUp } from './process-lifecycle.js';

/** `chartmine serve`: the HTTP server (embedded FHIR store unless FHIR_BASE_URL is set) and in-process workers. */
export const serveCommand: CliCommand = {
  name: 'serve',
  help: [
    'Usage: chartmine serve',
    '',
    'Runs the HTTP server. With FHIR_BASE_URL unset it serves an embedded FHIR R4 store at /fhir/R4 (kept in DATA_DIR);',
    'creating or updating a DocumentReference there queues it for analysis. POST /notify accepts subscription',
    'notifications. WORKERS (default 2) analyse notes in this process; set WORKERS=0 and run `chartmine worker`',
    'processes to scale them apart. Stops cleanly on SIGTERM/SIGINT (drains running jobs).',
    '',
    configurationHelp('serve'),
  ].join('\n'),
  async run(args, io) {
    assertNoArguments(args);
    const config = loadConfig(io.env);
    await assertListenHost(config.host);
    if (config.workers > 0) assertPipelinePaths(config);
    const log = createLogger(config.logLevel);
    const tracing = await startConfiguredTracing(config, log);
    // The pipeline's libraries (the model runtime, the terminology) are loaded only where workers run in this process.
    const handle = await startServer(config, log, async (edges) => (await import('../pipeline-loader.js')).loadPipeline(config, edges));
    io.stderr.write(`chartmine listening on ${handle.url} (FHIR: ${handle.fhirBaseUrl})\n`);
    for (const warning of securityWarnings(config)) io.stderr.write(`\n*** ${warning} ***\n\n`);
    await settleStartUp(log);
    return runUntilStopped(log, (drainMs) => handle.close(drainMs).finally(() => tracing?.shutdown()), config.shutdownGraceMs);
  },
};
