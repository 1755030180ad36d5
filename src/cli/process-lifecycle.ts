/**
 * Process life-cycle for long-running commands: stop cleanly on SIGTERM/SIGINT, and on an unhandled rejection or
 * exception log it as fatal, shut down and exit 1. A second signal, or a shutdown slower than the grace period,
 * exits at once.
 */
import { collectGarbage } from '../observability/collect-garbage.js';
import type { Logger } from '../observability/logger.js';

/** How long a graceful shutdown may take before the process exits anyway (SHUTDOWN_GRACE's default). */
export const SHUTDOWN_GRACE_MS = 30_000;
/** Of the grace, what is kept for closing connections after running jobs had their time. */
const CLOSE_RESERVE_MS = 5_000;

/**
 * Ends start-up: one full GC, so the garbage that loading the models and the terminology index left (tens of MB)
 * is returned now rather than at V8's next major GC, which an idle process may not run for a long time. Logs the
 * heap it keeps (ids and sizes only). A GC that cannot run is logged and changes nothing else.
 * @param log - the logger.
 */
export async function settleStartUp(log: Logger): Promise<void> {
  try {
    await collectGarbage();
    const { rss, heapUsed } = process.memoryUsage();
    log.debug({ rssMb: Math.round(rss / 2 ** 20), heapUsedMb: Math.round(heapUsed / 2 ** 20) }, 'start-up garbage collected');
  } catch (err: unknown) {
    log.warn({ err }, 'start-up garbage collection failed');
  }
}

/**
 * Resolves with an exit code once the process has been asked to stop and `close` has finished.
 * @param log - the logger.
 * @param close - stops the running parts; running jobs get `drainMs` to finish.
 * @param graceMs - SHUTDOWN_GRACE: the whole shutdown's limit; past it the process exits with code 1.
 * @returns 0 after a signal, 1 after a fatal error.
 */
export function runUntilStopped(log: Logger, close: (drainMs: number) => Promise<void>, graceMs = SHUTDOWN_GRACE_MS): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (code: number, reason: string): void => {
      if (stopping) {
        log.warn({ reason }, 'second stop request, exiting now');
        process.exit(code || 1);
      }
      stopping = true;
      log.info({ reason }, 'shutting down');
      const timer = setTimeout(() => {
        log.error({ graceMs }, 'shutdown took too long, exiting');
        process.exit(1);
      }, graceMs);
      timer.unref();
      close(Math.max(0, graceMs - Math.min(CLOSE_RESERVE_MS, graceMs / 2)))
        .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
        .finally(() => {
          clearTimeout(timer);
          log.info('stopped');
          resolve(code);
        });
    };
    process.once('SIGTERM', () => stop(0, 'SIGTERM'));
    process.once('SIGINT', () => stop(0, 'SIGINT'));
    process.on('unhandledRejection', (err: unknown) => {
      log.fatal({ err }, 'unhandled rejection');
      stop(1, 'unhandledRejection');
    });
    process.on('uncaughtException', (err: unknown) => {
      log.fatal({ err }, 'uncaught exception');
      stop(1, 'uncaughtException');
    });
  });
}
