/**
 * `/review`: the reviewer page (static assets built by esbuild into dist/review) and its JSON API under
 * `/review/api`, every API call authenticated with a reviewer's token. Thin: parse, call the service, answer.
 * Answers carry note text to the authenticated reviewer only, never cached (`no-store`).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ReviewerCredential } from '../config/config.js';
import { DocumentTooLargeError, UnsupportedContentError, WriteBackRejectedError } from '../errors.js';
import type { Assertion } from '../nlp/types.js';
import { REVIEW_ASSERTIONS, type ReviewDecision, type Reviewer } from './decision.js';
import { requireReviewer } from './review-auth.js';
import { ReviewRequestError, type ReviewService } from './review-service.js';

/** dist/review, from both src/review (tests) and dist/src/review (the built server). */
export const REVIEW_ASSETS_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../review/' : '../../dist/review/', import.meta.url));

/** Only our own scripts, styles and API: no CDN, no inline script, no framing. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Dependencies of the router. */
export interface ReviewRoutesDeps {
  readonly reviewers: readonly ReviewerCredential[];
  readonly service: ReviewService;
  /** Where the built page is (default REVIEW_ASSETS_DIR). */
  readonly assetsDir?: string;
}

/** Ids as FHIR allows them. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Builds the router mounted at `/review`.
 * @param deps - reviewers, service and assets folder.
 * @returns the router.
 */
export function createReviewRouter(deps: ReviewRoutesDeps): Router {
  const router = express.Router();
  const assetsDir = deps.assetsDir ?? REVIEW_ASSETS_DIR;
  router.use((_req, res, next) => {
    res.set({ 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' });
    next();
  });
  router.get('/', (req, res, next) => {
    // `/review` → `/review/`, so the page's relative asset URLs resolve below it.
    if (!req.originalUrl.split('?')[0].endsWith('/')) {
      res.redirect(301, `${req.baseUrl}/`);
      return;
    }
    if (!existsSync(`${assetsDir}index.html`)) {
      next(new ReviewRequestError(404, 'the review page is not built (npm run build)'));
      return;
    }
    res.sendFile('index.html', { root: assetsDir });
  });
  router.use('/assets', express.static(assetsDir, { index: false, fallthrough: true }));

  const api = express.Router();
  api.use(requireReviewer(deps.reviewers));
  api.use(express.json({ limit: '16kb', type: ['application/json', 'application/fhir+json'] }));
  api.get('/whoami', (_req, res) => {
    res.json({ reviewer: reviewerOf(res).id });
  });
  api.get('/notes', async (req, res) => {
    const query = { patient: queryValue(req, 'patient'), date: queryValue(req, 'date'), status: queryValue(req, 'status'), id: queryValue(req, 'id') };
    res.json({ notes: await deps.service.listNotes(query) });
  });
  api.get('/notes/:id', async (req, res) => {
    res.json(await deps.service.readNote(fhirId(req.params.id)));
  });
  api.get('/codes', async (req, res) => {
    const q = req.query.q;
    if (typeof q !== 'string' || q.trim().length === 0 || q.length > 200) throw new ReviewRequestError(400, 'q: a phrase up to 200 characters');
    res.json({ codes: await deps.service.suggestCodes(q) });
  });
  api.get('/findings/:type/:id/provenance', async (req, res) => {
    res.json(await deps.service.readProvenance(req.params.type, fhirId(req.params.id)));
  });
  api.post('/findings/:type/:id/decision', async (req, res) => {
    const { versionId, decision } = parseDecisionBody(req.body);
    res.json(await deps.service.decide(req.params.type, fhirId(req.params.id), versionId, decision, reviewerOf(res)));
  });
  router.use('/api', api);
  router.use(reviewErrors);
  return router;
}

/**
 * Parses the decision the page posts: `{ versionId, decision: accept|reject|correct, code?, assertion? }`.
 * @param body - the JSON body.
 * @returns the version the reviewer saw and the decision.
 * @throws ReviewRequestError 400 naming the field.
 */
export function parseDecisionBody(body: unknown): { versionId: string; decision: ReviewDecision } {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (typeof b.versionId !== 'string' || !FHIR_ID.test(b.versionId)) throw new ReviewRequestError(400, 'versionId: required');
  if (b.decision === 'accept' || b.decision === 'reject') return { versionId: b.versionId, decision: { kind: b.decision } };
  if (b.decision !== 'correct') throw new ReviewRequestError(400, 'decision: accept, reject or correct');
  const code = b.code as Record<string, unknown> | undefined;
  const hasCode = code !== undefined && code !== null;
  if (hasCode && (typeof code.system !== 'string' || !URL.canParse(code.system) || typeof code.code !== 'string' || !/^\S{1,64}$/.test(code.code))) {
    throw new ReviewRequestError(400, 'code: needs a system URI and a code');
  }
  if (hasCode && code.display !== undefined && (typeof code.display !== 'string' || code.display.length > 256)) {
    throw new ReviewRequestError(400, 'code.display: text up to 256 characters');
  }
  const assertion = b.assertion;
  if (assertion !== undefined && !REVIEW_ASSERTIONS.includes(assertion as Assertion)) {
    throw new ReviewRequestError(400, `assertion: one of ${REVIEW_ASSERTIONS.join(', ')}`);
  }
  if (!hasCode && assertion === undefined) throw new ReviewRequestError(400, 'correct: needs a code or an assertion');
  return {
    versionId: b.versionId,
    decision: {
      kind: 'correct',
      ...(hasCode ? { code: { system: code.system as string, code: code.code as string, ...(code.display ? { display: code.display as string } : {}) } } : {}),
      ...(assertion !== undefined ? { assertion: assertion as Assertion } : {}),
    },
  };
}

function reviewerOf(res: Response): Reviewer {
  return res.locals.reviewer as Reviewer;
}

function queryValue(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 128 || /[&#\s]/.test(value)) throw new ReviewRequestError(400, `${name}: one search value`);
  return value;
}

function fhirId(id: string): string {
  if (!FHIR_ID.test(id)) throw new ReviewRequestError(404, 'not a FHIR id');
  return id;
}

/** Our 4xx as OperationOutcome; anything else goes on to the app's error handler (generic 5xx, logged). */
function reviewErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (err instanceof WriteBackRejectedError) {
    // The FHIR server refused the decision (its profile rules, say): the reviewer can choose differently.
    res.status(422).type('application/fhir+json').json({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'processing', details: { text: 'The FHIR server refused this decision; choose another code or assertion' } }],
    });
    return;
  }
  if (err instanceof UnsupportedContentError || err instanceof DocumentTooLargeError) {
    // Our own messages (content types, sizes; never content): the note has no text the page can show.
    res.status(422).type('application/fhir+json').json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', details: { text: err.message } }] });
    return;
  }
  if (!(err instanceof ReviewRequestError)) {
    next(err);
    return;
  }
  const code = err.status === 404 ? 'not-found' : err.status === 412 ? 'conflict' : 'invalid';
  res.status(err.status).type('application/fhir+json').json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text: err.message } }] });
}
