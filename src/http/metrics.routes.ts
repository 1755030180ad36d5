/**
 * `/metrics`: the Prometheus exposition of one registry. `Authorization: Bearer <METRICS_TOKEN>` when a token is
 * set; without one it is open only while the server listens on loopback, and closed (403) otherwise.
 */
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { constantTimeEquals } from '../ingest/verify-signature.js';

/** What `/metrics` needs. */
export interface MetricsRouteDeps {
  readonly registry: Registry;
  /** METRICS_TOKEN. */
  readonly token: string | undefined;
  /** Serve without a token (HOST is loopback). */
  readonly openWithoutToken: boolean;
}

/**
 * Builds the handler for `GET /metrics`.
 * @param deps - the registry and the access rule.
 * @returns the handler.
 */
export function createMetricsHandler(deps: MetricsRouteDeps): RequestHandler {
  return (req, res, next) => {
    const refuse = (status: number, code: string, text: string): void => {
      if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="chartmine-metrics"');
      res.status(status).type('application/fhir+json').json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] });
    };
    if (deps.token !== undefined) {
      const bearer = /^bearer\s+(.+)$/i.exec(req.header('authorization')?.trim() ?? '');
      if (!bearer) return refuse(401, 'login', 'Metrics token required');
      if (!constantTimeEquals(bearer[1], deps.token)) return refuse(403, 'forbidden', 'Wrong metrics token');
    } else if (!deps.openWithoutToken) {
      return refuse(403, 'forbidden', 'Metrics are closed: set METRICS_TOKEN (HOST is not loopback)');
    }
    deps.registry
      .metrics()
      .then((body) => {
        res.setHeader('Content-Type', deps.registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.send(body);
      })
      .catch(next);
  };
}
