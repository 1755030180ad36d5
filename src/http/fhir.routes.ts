/** Express routes of the embedded FHIR R4 endpoint (mounted at `/fhir/R4` when FHIR_BASE_URL is unset). */
import express, { type Router } from 'express';
import type { EmbeddedFhirStore } from '../embedded/embedded-store.js';

/** Media types the endpoint accepts as FHIR JSON. */
const FHIR_JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];

/**
 * Builds the router.
 * @param store - the embedded store.
 * @param bodyLimitBytes - largest accepted body.
 * @returns the router.
 */
export function createFhirRouter(store: EmbeddedFhirStore, bodyLimitBytes: number): Router {
  const router = express.Router();
  router.use(express.json({ type: FHIR_JSON_TYPES, limit: bodyLimitBytes, strict: true }));
  router.use(express.urlencoded({ extended: false, limit: bodyLimitBytes }));
  router.all('/{*path}', async (req, res, next) => {
    try {
      const queryIndex = req.originalUrl.indexOf('?');
      const response = await store.handle({
        method: req.method,
        path: req.path.replace(/^\/+|\/+$/g, ''),
        query: new URLSearchParams(queryIndex >= 0 ? req.originalUrl.slice(queryIndex + 1) : ''),
        body: req.body as unknown,
        headers: req.headers,
        baseUrl: `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`,
      });
      res.status(response.status).set(response.headers).type('application/fhir+json').send(JSON.stringify(response.body));
    } catch (err: unknown) {
      next(err);
    }
  });
  return router;
}
