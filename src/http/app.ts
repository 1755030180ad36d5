/**
 * The HTTP application: health, notifications and (in embedded mode) the FHIR endpoint. Built from its
 * dependencies, never listening by itself, so tests start it on port 0.
 */
import express, { type Express, type Router } from 'express';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { pinoHttp } from 'pino-http';
import type { EmbeddedFhirStore } from '../embedded/embedded-store.js';
import { createNotifyRouter, type NotifyRoutesDeps } from '../ingest/notify.routes.js';
import { createReviewRouter, type ReviewRoutesDeps } from '../review/review.routes.js';
import { checkReadiness, type ReadinessCheck } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createMetricsHandler, type MetricsRouteDeps } from './metrics.routes.js';
import { requireApiToken } from './api-token.js';
import { rejectDeclaredOversize, requestBodyLimitBytes, verifyJsonDepth } from './body-limits.js';
import { createErrorHandler, notFoundHandler, toLoggablePath } from './error-handler.js';
import { createFhirRouter } from './fhir.routes.js';
import { createRateLimit } from './rate-limit.js';
import { requestId } from './request-id.js';

/** What the app needs. */
export interface AppDeps {
  readonly log: Logger;
  /** `/notify`: the notification handler and its authentication (NOTIFY_SECRET). */
  readonly notify: Pick<NotifyRoutesDeps, 'handle' | 'auth'> & { readonly rateLimitPerMinute: number };
  /** The embedded FHIR store, mounted at `/fhir/R4`; absent when an external server is used. */
  readonly store?: EmbeddedFhirStore;
  /** API_TOKEN guarding `/fhir/R4`; unset: open. */
  readonly apiToken?: string | undefined;
  /** Largest note accepted (MAX_DOCUMENT_BYTES); request bodies may be 4/3 of it (base64) plus headroom. */
  readonly maxDocumentBytes: number;
  /** Readiness checks by name (`undefined`: not required in this process). */
  readonly readiness: Readonly<Record<string, ReadinessCheck | undefined>>;
  /** Facts `/readyz` reports beside the checks (Redis persistence settings, queue namespace, FHIR circuit state); never secrets. */
  readonly readinessDetails?: () => Readonly<Record<string, unknown>>;
  /** The service's CapabilityStatement, served at `/metadata` (the notification side). */
  readonly capabilityStatement?: () => CapabilityStatement;
  /** `/admin` (the queue dashboard); absent: not mounted. */
  readonly admin?: Router;
  /** `/metrics` and the counters the app itself moves; absent: not served. */
  readonly metrics?: MetricsRouteDeps & { readonly notifications?: Metrics['notifications'] };
  /** The reviewer page at `/review` (REVIEW_TOKEN); absent: `/review` answers 404. */
  readonly review?: ReviewRoutesDeps;
}

/**
 * Builds the Express app.
 * @param deps - dependencies.
 * @returns the app (call `listen` yourself).
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // ETags are the store's: a resource's version (W/"<versionId>"). Express's own hash of any other body (a search
  // page, an OperationOutcome) is not a FHIR version, and the store's in-process client (fhir-in-process.ts) has none.
  app.set('etag', false);
  app.set('trust proxy', false);
  app.use(requestId);
  const bodyLimitBytes = requestBodyLimitBytes(deps.maxDocumentBytes);
  // Before anything reads a body: a declared size over the limit is refused at once, on every route.
  app.use(rejectDeclaredOversize(bodyLimitBytes));
  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: (_req, res) => (res as express.Response).locals?.requestId as string,
      // Paths only: query strings of FHIR searches can carry names or identifiers.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({ method: req.method, path: toLoggablePath(req.url), id: req.id }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    })
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(deps.readiness);
    res.status(report.status === 'ready' ? 200 : 503).json({ ...report, ...(deps.readinessDetails ? { details: deps.readinessDetails() } : {}) });
  });
  if (deps.capabilityStatement) {
    const statement = deps.capabilityStatement;
    app.get('/metadata', (_req, res) => {
      res.type('application/fhir+json').send(JSON.stringify(statement()));
    });
  }
  if (deps.metrics) {
    app.get('/metrics', createMetricsHandler(deps.metrics));
  }
  if (deps.admin) {
    app.use('/admin', deps.admin);
  }
  const notifications = deps.metrics?.notifications;
  if (notifications) {
    // Refused notifications never reach a parser, so their form is unknown; accepted ones are counted by their handler.
    app.use('/notify', (_req, res, next) => {
      res.on('finish', () => {
        if (res.statusCode >= 400) notifications.inc({ form: 'unknown', outcome: refusalOutcome(res.statusCode) });
      });
      next();
    });
  }
  app.use(
    '/notify',
    createNotifyRouter({ ...deps.notify, rateLimit: createRateLimit(deps.notify.rateLimitPerMinute), bodyLimitBytes, verifyBody: verifyJsonDepth, log: deps.log })
  );
  if (deps.store) {
    app.use('/fhir/R4', requireApiToken(deps.apiToken), createFhirRouter(deps.store, bodyLimitBytes));
  }
  if (deps.review) {
    app.use('/review', createReviewRouter(deps.review));
  }
  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.log));
  return app;
}

/** A bounded outcome label for a refused notification. */
function refusalOutcome(status: number): string {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 429) return 'rate-limited';
  if (status === 413) return 'too-large';
  return status >= 500 ? 'error' : 'invalid';
}
