/**
 * Acts on a parsed notification: queue its note events, request a catch-up when it cannot say what changed (a ping,
 * empty content) or when event numbers show that notifications were lost, and track the event number of each
 * topic subscription. Each step is idempotent, so a notification that fails half-way (503) can simply be resent.
 */
import type { Logger } from '../observability/logger.js';
import type { CatchUp } from './catch-up.js';
import type { NoteEventSink } from './note-event.js';
import type { Notification, TopicNotification } from './notification.js';

/** Per-subscription event numbers (Redis, under QUEUE_PREFIX). */
export interface EventNumberState {
  /** The highest event number handled for the subscription; `undefined` if none yet. */
  lastEventNumber(subscription: string): Promise<number | undefined>;
  /** Raises the stored number to `eventNumber` (never lowers it: deliveries may arrive out of order). */
  recordEventNumber(subscription: string, eventNumber: number): Promise<void>;
}

/** What the handler did; the route turns it into the HTTP answer. */
export interface NotificationOutcome {
  /** 200: nothing to do (handshake, heartbeat); 202: jobs queued or a catch-up requested. */
  readonly status: 200 | 202;
  readonly jobIds: readonly string[];
  /** Why a catch-up was requested, if one was. */
  readonly catchUp: 'ping' | 'empty-content' | 'event-gap' | undefined;
}

/** Dependencies of the handler. */
export interface NotificationHandlerDeps {
  readonly sink: NoteEventSink;
  readonly catchUp: Pick<CatchUp, 'request'>;
  readonly events: EventNumberState;
  readonly log: Logger;
}

/**
 * Handles one notification.
 * @param notification - the parsed notification.
 * @param requestId - correlation id.
 * @param deps - sink, catch-up and event-number state.
 * @returns what was done.
 * @throws UpstreamError when Redis or the FHIR server is unavailable (503: the sender retries).
 */
export async function handleNotification(
  notification: Notification,
  requestId: string,
  deps: NotificationHandlerDeps
): Promise<NotificationOutcome> {
  switch (notification.kind) {
    case 'events':
      return { status: 202, jobIds: await deps.sink.accept(notification.events, requestId), catchUp: undefined };
    case 'ping':
      await deps.catchUp.request('ping');
      return { status: 202, jobIds: [], catchUp: 'ping' };
    case 'topic':
      return handleTopic(notification, requestId, deps);
  }
}

async function handleTopic(n: TopicNotification, requestId: string, deps: NotificationHandlerDeps): Promise<NotificationOutcome> {
  const last = await deps.events.lastEventNumber(n.subscription);
  const gap = findGap(n, last);
  const jobIds = n.events.length > 0 ? await deps.sink.accept(n.events, requestId) : [];
  const catchUp = n.needsCatchUp ? 'empty-content' : gap ? 'event-gap' : undefined;
  if (catchUp) {
    if (gap) deps.log.warn({ requestId, missedFrom: gap.from, missedTo: gap.to }, 'notifications were lost, catching up');
    await deps.catchUp.request(catchUp);
  }
  const highest = Math.max(-1, n.eventsSinceStart ?? -1, ...n.eventNumbers);
  // Recorded last: if anything above failed, the resent notification still sees the gap.
  if (highest >= 0) await deps.events.recordEventNumber(n.subscription, highest);
  const status = jobIds.length > 0 || catchUp ? 202 : 200;
  return { status, jobIds, catchUp };
}

/**
 * Event numbers Chartmine should have seen before this notification but has not.
 * @param n - the notification.
 * @param last - the highest number handled so far (`undefined`: none; numbering starts at 1).
 * @returns the missing range, or `undefined`.
 */
export function findGap(n: Pick<TopicNotification, 'type' | 'eventNumbers' | 'eventsSinceStart'>, last: number | undefined): { from: number; to: number } | undefined {
  const known = last ?? 0;
  if (n.type !== 'event-notification' || n.eventNumbers.length === 0) {
    // Handshake and heartbeat carry the count of events so far: more than we handled means some never arrived.
    const total = n.eventsSinceStart;
    return total !== undefined && total > known ? { from: known + 1, to: total } : undefined;
  }
  const numbers = [...new Set(n.eventNumbers)].sort((a, b) => a - b);
  if (numbers[0] > known + 1) return { from: known + 1, to: numbers[0] - 1 };
  for (let i = 1; i < numbers.length; i++) {
    if (numbers[i] > numbers[i - 1] + 1 && numbers[i - 1] >= known) return { from: numbers[i - 1] + 1, to: numbers[i] - 1 };
  }
  return undefined;
}
