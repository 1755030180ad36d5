/** Express routes of the embedded FHIR R4 endpoint (mounted at `/fhir/R4` when FHIR_BASE_URL is unset). */
import express, { type Request, type RequestHandler, type Router } from 'express';
import type { EmbeddedFhirStore } from '../embedded/embedded-store.js';
import { InvalidNotificationError } from '../errors.js';
import { verifyJsonDepth } from './body-limits.js';

/** Media types the endpoint accepts as FHIR JSON. */
export const FHIR_JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];
/** A search by POST may also send its parameters as a form. */
const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Builds the router.
 * @param store - the embedded store.
 * @param bodyLimitBytes - largest accepted body.
 * @returns the router.
 */
export function createFhirRouter(store: EmbeddedFhirStore, bodyLimitBytes: number): Router {
  const router = express.Router();
  router.use(requireFhirContentType);
  router.use(express.json({ type: FHIR_JSON_TYPES, limit: bodyLimitBytes, strict: true, verify: verifyJsonDepth }));
  router.use(express.urlencoded({ extended: false, limit: bodyLimitBytes }));
  router.all('/{*path}', async (req, res, next) => {
    try {
      const path = toStorePath(req.path);
      assertBodyShape(req.method, path, req.body as unknown);
      const queryIndex = req.originalUrl.indexOf('?');
      const response = await store.handle({
        method: req.method,
        path,
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

/** A body of any other media type is refused with 415 before it is read (FHIR JSON, or a form for `_search`). */
const requireFhirContentType: RequestHandler = (req, _res, next) => {
  if (!hasBody(req)) {
    next();
    return;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const isSearch = req.method === 'POST' && /\/_search\/?$/.test(req.path);
  if (FHIR_JSON_TYPES.includes(type) || (isSearch && type === FORM_TYPE)) {
    next();
    return;
  }
  const accepted = isSearch ? `${FHIR_JSON_TYPES[0]} or ${FORM_TYPE}` : FHIR_JSON_TYPES[0];
  next(new InvalidNotificationError(`unsupported Content-Type: send ${accepted}`, undefined, 415));
};

/**
 * The path the store is asked for: below the base, without leading or trailing slashes.
 * @param path - the request path below `/fhir/R4`.
 * @returns e.g. `Condition/123`, or `` for the system endpoint.
 */
export function toStorePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/**
 * Creates, updates and transactions need a JSON object (a JSON Patch: an array); anything else is a 400.
 * @param requestMethod - the HTTP method.
 * @param path - the store path ({@link toStorePath}).
 * @param body - the parsed body.
 * @throws InvalidNotificationError (400) naming what is wrong.
 */
export function assertBodyShape(requestMethod: string, path: string, body: unknown): void {
  const method = requestMethod.toUpperCase();
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return;
  if (method === 'POST' && /\/_search$|^_search$/.test(path)) return;
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (method === 'PATCH' ? !Array.isArray(body) && !isObject : !isObject || typeof (body as { resourceType?: unknown }).resourceType !== 'string') {
    throw new InvalidNotificationError(
      method === 'PATCH' ? 'body must be a JSON Patch array' : 'body must be a FHIR resource in JSON (an object with resourceType)',
      undefined,
      400
    );
  }
  if (method === 'POST' && path === '') assertBundleEntries(body as { entry?: unknown });
}

/**
 * Batch and transaction entries the router would otherwise fail on with a TypeError (whose message a batch answer
 * passes on): each needs a `request` with `method` and `url`, and a POST or PUT entry a resource object.
 */
function assertBundleEntries(bundle: { entry?: unknown }): void {
  if (bundle.entry === undefined) return;
  if (!Array.isArray(bundle.entry)) throw new InvalidNotificationError('Bundle.entry must be an array', 'Bundle.entry', 400);
  bundle.entry.forEach((entry: unknown, i) => {
    const e = entry as { request?: { method?: unknown; url?: unknown }; resource?: { resourceType?: unknown } } | null;
    const where = `Bundle.entry[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new InvalidNotificationError('a Bundle entry must be an object', where, 400);
    if (typeof e.request?.method !== 'string' || typeof e.request.url !== 'string') {
      throw new InvalidNotificationError('a Bundle entry needs request.method and request.url', `${where}.request`, 400);
    }
    const needsResource = e.request.method === 'POST' || e.request.method === 'PUT';
    if (needsResource && (typeof e.resource !== 'object' || e.resource === null || typeof e.resource.resourceType !== 'string')) {
      throw new InvalidNotificationError('a POST or PUT entry needs a resource with resourceType', `${where}.resource`, 400);
    }
  });
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
