/**
 * Polling for FHIR servers without subscriptions (POLL_INTERVAL): every interval, request a catch-up, which
 * searches `DocumentReference?_lastUpdated=gt<cursor>` (with POLL_QUERY) and queues what changed.
 */
import type { Logger } from '../observability/logger.js';
import type { CatchUp } from './catch-up.js';

/** A running poller. */
export interface Poller {
  stop(): void;
}

/**
 * Starts polling: once now, then every `intervalMs`.
 * @param catchUp - the catch-up runner.
 * @param intervalMs - POLL_INTERVAL.
 * @param log - the logger.
 * @returns the poller.
 */
export function startPoller(catchUp: Pick<CatchUp, 'request'>, intervalMs: number, log: Logger): Poller {
  const tick = (): void => {
    catchUp.request('poll').catch((err: unknown) => log.warn({ err }, 'poll could not be requested, next interval retries'));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
