/**
 * `/notify`: subscription notifications in, jobs queued (or a catch-up requested), 200/202 out. No NLP and no FHIR
 * writes happen here. Order: rate limit → body (raw, size-limited) → authentication → parse → act. A request that
 * fails any step enqueues nothing.
 *   POST   /notify                           rest-hook (full or empty payload), Medplum, topic notification Bundles
 *   PUT    /notify/DocumentReference/{id}    HAPI-style rest-hook with payload
 *   DELETE /notify/DocumentReference/{id}    HAPI-style deletion
 */
import express, { type Request, type Response, type Router } from 'express';
import { UnauthorizedError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { NotificationOutcome } from './handle-notification.js';
import type { Notification } from './notification.js';
import { parseNotification } from './parse-notification.js';
import { isNotificationAuthentic, type NotifyAuthOptions } from './verify-signature.js';

/** Dependencies of the notify routes. */
export interface NotifyRoutesDeps {
  /** Acts on a parsed notification (see `handleNotification`). */
  readonly handle: (notification: Notification, requestId: string) => Promise<NotificationOutcome>;
  readonly auth: NotifyAuthOptions;
  /** Runs before anything else (the per-client rate limit). */
  readonly rateLimit: express.RequestHandler;
  readonly bodyLimitBytes: number;
  /** Checks the raw body before anything else reads it (JSON depth); throws to refuse it. */
  readonly verifyBody?: (req: Request, res: Response, body: Buffer) => void;
  readonly log: Logger;
}

/**
 * Builds the router.
 * @param deps - the handler, authentication, limits and the logger.
 * @returns the router.
 */
export function createNotifyRouter(deps: NotifyRoutesDeps): Router {
  const router = express.Router();
  router.use(deps.rateLimit);
  // The raw body is kept: signatures (X-Signature HMAC) are computed over the exact bytes received.
  router.use(express.raw({ type: () => true, limit: deps.bodyLimitBytes, verify: deps.verifyBody }));
  router.use((req, _res, next) => {
    const authentic = isNotificationAuthentic((name) => req.header(name), rawBody(req), deps.auth);
    next(authentic ? undefined : new UnauthorizedError());
  });
  const handle = async (req: Request, res: Response, path: string): Promise<void> => {
    const requestId = res.locals.requestId as string;
    const notification = parseNotification({
      method: req.method,
      path,
      contentType: req.header('content-type'),
      body: rawBody(req),
      deletedResource: req.header('x-medplum-deleted-resource'),
    });
    const result = await deps.handle(notification, requestId);
    deps.log.info(
      { requestId, form: notification.form, kind: notification.kind, jobIds: result.jobIds, catchUp: result.catchUp },
      'notification accepted'
    );
    const summary = [`queued ${result.jobIds.length} job(s)`, ...(result.catchUp ? [`catch-up requested (${result.catchUp})`] : [])];
    res
      .status(result.status)
      .type('application/fhir+json')
      .json({
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'information',
            code: 'informational',
            details: { text: summary.join('; ') },
            ...(result.jobIds.length > 0 ? { diagnostics: result.jobIds.join(',') } : {}),
          },
        ],
      });
  };
  router.post('/', (req, res, next) => handle(req, res, '').catch(next));
  router.all('/:resourceType/:id', (req, res, next) => handle(req, res, `${req.params.resourceType}/${req.params.id}`).catch(next));
  return router;
}

function rawBody(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
