/** `POST /notify`: subscription notifications in, jobs queued, 202 out. No NLP and no FHIR writes happen here. */
import express, { type Router } from 'express';
import type { Logger } from '../observability/logger.js';
import type { NoteEventSink } from './note-event.js';
import { parseNotification } from './parse-notification.js';

/** Dependencies of the notify routes. */
export interface NotifyRoutesDeps {
  readonly sink: NoteEventSink;
  readonly bodyLimitBytes: number;
  readonly log: Logger;
}

/**
 * Builds the router.
 * @param deps - the sink jobs go to, the body limit and the logger.
 * @returns the router.
 */
export function createNotifyRouter(deps: NotifyRoutesDeps): Router {
  const router = express.Router();
  // The raw body is kept: signatures (X-Signature HMAC) are computed over the exact bytes received.
  router.use(express.raw({ type: () => true, limit: deps.bodyLimitBytes }));
  router.post('/', async (req, res, next) => {
    try {
      const requestId = res.locals.requestId as string;
      const events = parseNotification({
        method: req.method,
        path: '',
        contentType: req.header('content-type'),
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      });
      const jobIds = await deps.sink.accept(events, requestId);
      deps.log.info({ requestId, events: events.length, jobIds }, 'notification accepted');
      res
        .status(202)
        .type('application/fhir+json')
        .json({
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'information',
              code: 'informational',
              details: { text: `queued ${jobIds.length} job(s)` },
              diagnostics: jobIds.join(','),
            },
          ],
        });
    } catch (err: unknown) {
      next(err);
    }
  });
  return router;
}
