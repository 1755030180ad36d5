/**
 * `/admin`: the queue dashboard (bull-board) at `/admin/queues` and its login. Access: `Authorization: Bearer
 * <ADMIN_TOKEN>` (API_TOKEN when ADMIN_TOKEN is unset), or the HttpOnly, SameSite=Strict cookie `POST /admin/login`
 * sets (an expiry HMAC-signed with the token). No token configured: closed (404) unless ADMIN_OPEN, which the
 * configuration only accepts on a loopback HOST. The dashboard shows ids only (job data holds nothing else; a
 * formatter keeps only the id fields) and allows retrying, promoting and removing jobs, not adding or editing them.
 */
import { createHmac } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { constantTimeEquals } from '../ingest/verify-signature.js';

/** Where the dashboard lives. */
export const ADMIN_QUEUES_PATH = '/admin/queues';
/** The session cookie's name. */
export const ADMIN_COOKIE = 'chartmine_admin';
/** A dashboard login lasts a working day. */
export const ADMIN_SESSION_S = 12 * 3600;
/** The job data fields the dashboard may show (AnalyzeNoteJobData: identifiers only). */
const SHOWN_DATA_FIELDS = ['noteId', 'versionId', 'requestId', 'traceparent'];
/**
 * Requests that change queues and are allowed: retry, promote, remove (clean), pause and resume. Adding jobs, editing
 * their data, emptying or obliterating a queue and the other settings are refused: jobs come only from notifications.
 */
const ALLOWED_CHANGES = [
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|promote|clean)$/,
  /^\/api\/queues\/[^/]+\/(retry|clean)\/[a-z]+$/,
  /^\/api\/queues\/[^/]+\/(promote|pause|resume)$/,
  /^\/api\/queues\/(pause|resume)$/,
];

/** What the admin routes need. */
export interface AdminRoutesDeps {
  /** ADMIN_TOKEN, else API_TOKEN; unset: closed unless `open`. */
  readonly token: string | undefined;
  /** ADMIN_OPEN (only accepted with a loopback HOST). */
  readonly open: boolean;
}

/** The admin router and the way to give it its queues (known once the server listens: they are namespaced by URL). */
export interface AdminRoutes {
  readonly router: Router;
  /** Shows these queues on the dashboard (replaces earlier ones). */
  showQueues(queues: readonly Queue[]): void;
}

/**
 * Builds the router, mounted at `/admin`.
 * @param deps - token and openness.
 * @returns the router and its queue setter.
 */
export function createAdminRoutes(deps: AdminRoutesDeps): AdminRoutes {
  const router = express.Router();
  const { token } = deps;
  if (token === undefined && !deps.open) {
    router.use((_req, res) => sendOutcome(res, 404, 'not-found', 'The queue dashboard is closed: set ADMIN_TOKEN (or API_TOKEN)'));
    return { router, showQueues: () => undefined };
  }
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'Chartmine queues' } } });
  if (token !== undefined) {
    router.get('/login', (_req, res) => sendLoginPage(res, 200, ''));
    router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
      const given = (req.body as Record<string, unknown> | undefined)?.token;
      if (typeof given !== 'string' || !constantTimeEquals(given, token)) {
        sendLoginPage(res, 401, 'Wrong token.');
        return;
      }
      const expires = Math.floor(Date.now() / 1000) + ADMIN_SESSION_S;
      res.cookie(ADMIN_COOKIE, `${expires}.${signSession(token, expires)}`, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: '/admin',
        maxAge: ADMIN_SESSION_S * 1000,
      });
      res.redirect(303, ADMIN_QUEUES_PATH);
    });
    router.post('/logout', (_req, res) => {
      res.clearCookie(ADMIN_COOKIE, { path: '/admin' });
      res.redirect(303, '/admin/login');
    });
  }
  router.use('/queues', requireAdmin(token), refuseInjection, serverAdapter.getRouter() as RequestHandler);
  return {
    router,
    showQueues(queues) {
      board.replaceQueues(
        queues.map((queue) => {
          const adapter = new BullMQAdapter(queue, { readOnlyMode: false, allowRetries: true, description: 'identifiers only; retry runs the note version again' });
          adapter.setFormatter('data', (data: unknown) => pickIdFields(data));
          return adapter;
        })
      );
    },
  };
}

/**
 * Checks the bearer token or the session cookie (nothing when no token is configured: ADMIN_OPEN).
 * @param token - the admin token.
 * @returns the middleware.
 */
function requireAdmin(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (token === undefined) {
      next();
      return;
    }
    const bearer = /^bearer\s+(.+)$/i.exec(req.header('authorization')?.trim() ?? '');
    if (bearer) {
      if (constantTimeEquals(bearer[1], token)) next();
      else sendOutcome(res, 403, 'forbidden', 'Wrong admin token');
      return;
    }
    if (validSession(readCookie(req, ADMIN_COOKIE), token)) {
      next();
      return;
    }
    if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html' && !req.path.startsWith('/api/')) {
      res.redirect(303, '/admin/login');
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="chartmine-admin"');
    sendOutcome(res, 401, 'login', 'Admin token required');
  };
}

const refuseInjection: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD' || ALLOWED_CHANGES.some((re) => re.test(req.path))) {
    next();
    return;
  }
  sendOutcome(res, 403, 'forbidden', 'The dashboard does not add, edit or delete queues or job data');
};

/**
 * The session cookie's signature: HMAC-SHA256 of its expiry, keyed with the admin token (a new token ends sessions).
 * @param token - the admin token.
 * @param expires - expiry, seconds since the epoch.
 * @returns hex signature.
 */
export function signSession(token: string, expires: number): string {
  return createHmac('sha256', token).update(`chartmine-admin-session:${expires}`).digest('hex');
}

function validSession(value: string | undefined, token: string): boolean {
  const match = value ? /^(\d{1,12})\.([0-9a-f]{64})$/.exec(value) : null;
  if (!match) return false;
  const expires = Number(match[1]);
  return expires > Date.now() / 1000 && constantTimeEquals(match[2], signSession(token, expires));
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

function pickIdFields(data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null) return {};
  return Object.fromEntries(Object.entries(data).filter(([key]) => SHOWN_DATA_FIELDS.includes(key)));
}

function sendOutcome(res: Response, status: number, code: string, text: string): void {
  res
    .status(status)
    .type('application/fhir+json')
    .json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] });
}

function sendLoginPage(res: Response, status: number, message: string): void {
  res
    .status(status)
    .type('html')
    .setHeader('Cache-Control', 'no-store')
    .send(
      [
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chartmine admin</title>',
        '<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto}input{width:100%;padding:.4rem;margin:.5rem 0}</style>',
        '</head><body><h1>Chartmine queues</h1>',
        message ? `<p role="alert">${message}</p>` : '',
        '<form method="post" action="/admin/login"><label for="token">Admin token</label>',
        '<input id="token" name="token" type="password" autocomplete="current-password" required>',
        '<button type="submit">Log in</button></form></body></html>',
      ].join('')
    );
}
