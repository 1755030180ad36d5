/**
 * Helpers for notification tests: two Chartmine instances (A serves the embedded store, B reads and writes it as
 * an external FHIR server and receives the notifications), fixtures from `test/fixtures/notifications/` adapted
 * to real notes, and job lookups in B's queue.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Bundle, DocumentReference, Resource } from '@medplum/fhirtypes';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { NlpPipeline } from '../../src/nlp/types.js';
import { aNote, type NoteOptions } from '../builders/note.js';
import { TEST_REDIS_URL } from './redis.js';
import { startTestServer, type TestServer } from './test-server.js';

/** API_TOKEN of instance A; B presents it as FHIR_TOKEN. */
export const A_TOKEN = 'instance-a-api-token-0123456789';
/** NOTIFY_SECRET of instance B. */
export const NOTIFY_SECRET = 'notify-secret-0123456789abcdef';

/** Two instances: A is the FHIR server, B the Chartmine that is notified. */
export interface Pair {
  readonly a: TestServer;
  readonly b: TestServer;
  close(): Promise<void>;
}

/**
 * Starts A (embedded store, API_TOKEN, no workers) and B (FHIR_BASE_URL → A, NOTIFY_SECRET, workers).
 * @param pipeline - B's pipeline.
 * @param bEnv - extra environment for B (e.g. another FHIR authentication).
 * @returns the pair.
 */
export async function startPair(pipeline: () => Promise<NlpPipeline>, bEnv: Record<string, string> = {}): Promise<Pair> {
  const a = await startTestServer({ pipeline, env: { WORKERS: '0', API_TOKEN: A_TOKEN } });
  let b: TestServer;
  try {
    b = await startTestServer({
      pipeline,
      env: { FHIR_BASE_URL: a.handle.fhirBaseUrl, FHIR_TOKEN: A_TOKEN, NOTIFY_SECRET, WORKERS: '2', ...bEnv },
    });
  } catch (err: unknown) {
    await a.close();
    throw err;
  }
  return {
    a,
    b,
    async close() {
      await b.close();
      await a.close();
    },
  };
}

/** A request to A's FHIR endpoint with its API token. */
export async function fhir<T = Resource>(a: TestServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return a.request<T>(method, `/fhir/R4/${path}`, body, { Authorization: `Bearer ${A_TOKEN}` });
}

/** Creates a note in A. */
export async function createNote(a: TestServer, options: NoteOptions): Promise<DocumentReference> {
  const created = await fhir<DocumentReference>(a, 'POST', 'DocumentReference', aNote(options));
  if (created.status !== 201) throw new Error(`create failed: ${created.status}`);
  return created.body;
}

/** Resources of a search in A (matches only). */
export async function search<T extends Resource>(a: TestServer, query: string): Promise<T[]> {
  const response = await fhir<Bundle<T>>(a, 'GET', query);
  return (response.body.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

/** A raw notification to `/notify` (path below it optional). */
export async function notify(
  b: TestServer,
  body: string | undefined,
  headers: Record<string, string> = {},
  method = 'POST',
  path = ''
): Promise<{ status: number; body: { resourceType: string; issue: { code: string; diagnostics?: string; details?: { text?: string } }[] }; headers: Headers }> {
  const response = await fetch(`${b.url}/notify${path}`, {
    method,
    headers: { ...(body !== undefined && body !== '' ? { 'Content-Type': 'application/fhir+json' } : {}), ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** `Authorization: Bearer <NOTIFY_SECRET>`. */
export const BEARER = { Authorization: `Bearer ${NOTIFY_SECRET}` };

/**
 * Medplum's signature header for a body.
 * @param body - the exact body.
 * @param secret - the key.
 * @returns the header.
 */
export function signed(body: string, secret = NOTIFY_SECRET): Record<string, string> {
  return { 'X-Signature': createHmac('sha256', secret).update(body).digest('hex') };
}

/** Reads a fixture as JSON. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/notifications/${name}`, import.meta.url), 'utf8')) as T;
}

/** The fixture DocumentReference turned into the given note (id and version from A). */
export function asFixtureNote(note: DocumentReference): DocumentReference {
  const base = fixture<DocumentReference>('r4-rest-hook-full.json');
  return { ...base, id: note.id, meta: { versionId: note.meta?.versionId, lastUpdated: note.meta?.lastUpdated } };
}

type Family = 'r5' | 'backport-r4';
type Content = 'handshake' | 'heartbeat' | 'event-empty' | 'event-id-only' | 'event-full-resource';
type Json = Record<string, unknown> & { entry: { fullUrl?: string; resource: Json }[]; parameter?: Json[] };

/**
 * A topic notification from the fixtures, pointed at a note of A and numbered.
 * @param family - R5 (`subscription-notification`) or the R4 backport (`history` + Parameters).
 * @param content - which fixture.
 * @param options - the subscription, the event number (also the event count), the note (for id-only/full-resource).
 * @returns the JSON text.
 */
export function topicNotification(
  family: Family,
  content: Content,
  options: { subscription: string; eventNumber: number; note?: DocumentReference; baseUrl?: string }
): string {
  const bundle = fixture<Json>(`${family}-${content}.json`);
  const status = bundle.entry[0].resource;
  const n = String(options.eventNumber);
  const focus = options.note ? `${options.baseUrl ?? 'https://ehr.example.org/fhir/'}DocumentReference/${options.note.id}` : undefined;
  if (family === 'r5') {
    status.subscription = { reference: options.subscription };
    status.eventsSinceSubscriptionStart = n;
    for (const event of (status.notificationEvent as Json[] | undefined) ?? []) {
      event.eventNumber = n;
      if (event.focus && focus) event.focus = { reference: focus };
    }
  } else {
    for (const p of (status.parameter as Json[]) ?? []) {
      if (p.name === 'subscription') p.valueReference = { reference: options.subscription };
      if (p.name === 'events-since-subscription-start') p.valueString = n;
      if (p.name === 'notification-event') {
        for (const part of p.part as Json[]) {
          if (part.name === 'event-number') part.valueString = n;
          if (part.name === 'focus' && focus) part.valueReference = { reference: focus };
        }
      }
    }
  }
  if (content === 'event-full-resource' && options.note) {
    bundle.entry[1].fullUrl = focus;
    bundle.entry[1].resource = asFixtureNote(options.note) as unknown as Json;
  }
  return JSON.stringify(bundle);
}

/** Jobs in B's queue for a note (any version). */
export async function jobsFor(b: TestServer, noteId: string | undefined): Promise<Job[]> {
  const jobs = await b.handle.producer.queue.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized']);
  return jobs.filter((j) => j.id?.startsWith(`note-${noteId}-v`));
}

/** Total jobs in B's queue. */
export async function jobCount(b: TestServer): Promise<number> {
  const counts = await b.handle.producer.queue.getJobCounts();
  return Object.values(counts).reduce((x, y) => x + y, 0);
}

/**
 * Reads a Redis key (ingest state under a test server's prefix).
 * @param key - the full key.
 * @returns its value.
 */
export async function redisGet(key: string): Promise<string | null> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  try {
    return await redis.get(key);
  } finally {
    redis.disconnect();
  }
}
