import { parseArgs } from 'node:util';
import type { Bundle, CapabilityStatement, Resource } from '@medplum/fhirtypes';
import { loadConfig } from '../config/config.js';
import { AppError, ConfigError, UpstreamRejectedError, WriteBackRejectedError } from '../errors.js';
import { createFhirClient } from '../fhir/client-factory.js';
import {
  buildSubscription,
  detectSubscriptionSupport,
  initialSubscriptionStatus,
  maskSecret,
  readSubscriptionStatus,
  type SubscriptionKind,
} from '../fhir/build-subscription.js';
import { classifyRead, type MedplumFhirGateway } from '../fhir/gateway.js';
import type { CliCommand } from './command.js';
import { UsageError } from './command.js';

const CONTENTS = ['empty', 'id-only', 'full-resource'] as const;
const MODES = ['auto', 'rest-hook', 'topic'] as const;

/** `chartmine subscribe`: creates the Subscription that sends notes to this Chartmine on the external server. */
export const subscribeCommand: CliCommand = {
  name: 'subscribe',
  help: [
    'Usage: chartmine subscribe [--mode auto|rest-hook|topic] [--criteria QUERY] [--topic URL]',
    '                           [--content id-only|full-resource|empty] [--heartbeat SECONDS] [--dry-run]',
    '',
    'Reads FHIR_BASE_URL/metadata and creates a Subscription pointing at PUBLIC_URL/notify with',
    '`Authorization: Bearer <NOTIFY_SECRET>` (and Medplum\'s HMAC signature secret on Medplum):',
    '  topic      an R4B/R5 topic-based subscription, or the Subscriptions R5 Backport on R4, when the server',
    '             supports topics and a DocumentReference topic is known (--topic, or the only one advertised)',
    '  rest-hook  an R4 rest-hook with criteria QUERY (default: DocumentReference, or DocumentReference?POLL_QUERY)',
    '  auto       topic when possible, rest-hook otherwise (default)',
    '--content    topic: id-only (default), full-resource or empty; rest-hook: full-resource (default) or empty',
    '--heartbeat  topic heartbeat period (default 3600 s): each heartbeat lets Chartmine detect lost notifications',
    '--dry-run    print the Subscription (secret masked) without creating it',
    '--wait S     how long to wait for the server to report the Subscription active (default 10 s)',
    '--catch-up   once it is active, ask Chartmine (PUBLIC_URL/notify, empty POST) for a catch-up, so notes',
    '             created before the Subscription was active are queued too',
    '',
    'R4 rest-hooks are created `active` (Medplum delivers only for `active` and never promotes `requested`);',
    'a server that refuses a client-set `active` gets `requested`; topic subscriptions are created `requested`',
    '(the server activates them after its handshake). The Subscription is then read back until the server',
    'reports it `active`; exit 1 with the reason when it does not (still `requested`, `error`, `off`).',
    '',
    'Do not filter on status in QUERY: a note marked entered-in-error must still notify, so its results are',
    'retracted. Authenticates to the server like the workers do (FHIR_TOKEN, FHIR_CLIENT_ID, ...).',
    'Prints the created Subscription (secret masked) as one JSON line.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        mode: { type: 'string', default: 'auto' },
        criteria: { type: 'string' },
        topic: { type: 'string' },
        content: { type: 'string' },
        heartbeat: { type: 'string', default: '3600' },
        'dry-run': { type: 'boolean', default: false },
        wait: { type: 'string', default: '10' },
        'catch-up': { type: 'boolean', default: false },
      },
    });
    const mode = oneOf(values.mode, MODES, '--mode');
    const config = loadConfig(io.env);
    if (config.fhir.kind !== 'external') throw new ConfigError('FHIR_BASE_URL: required for `chartmine subscribe` (the server to subscribe on)');
    if (!config.publicUrl) throw new ConfigError('PUBLIC_URL: required for `chartmine subscribe` (where the server sends notifications)');
    const heartbeatSeconds = Number(values.heartbeat);
    if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < 1) throw new UsageError('--heartbeat must be a positive number of seconds');
    const waitSeconds = Number(values.wait);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new UsageError('--wait must be a number of seconds');
    const criteria = values.criteria ?? `DocumentReference${config.ingest.pollQuery ? `?${config.ingest.pollQuery}` : ''}`;
    if (!/^DocumentReference(\?.*)?$/.test(criteria)) throw new UsageError('--criteria must be a DocumentReference search, e.g. DocumentReference?type=...');
    const secret = config.notifySecret;
    if (!secret) io.stderr.write('warning: NOTIFY_SECRET is unset: the Subscription will carry no credentials\n');
    if (secret?.includes(':')) throw new ConfigError('NOTIFY_SECRET: must not contain ":" to travel in a Subscription header');
    if (/(^|[?&])status=/.test(criteria)) io.stderr.write('warning: criteria filter on status: notes marked entered-in-error will not notify\n');

    const gateway = await createFhirClient(config);
    const metadata = await readJson<CapabilityStatement>(gateway, gateway.client.fhirUrl('metadata').toString(), 'metadata');
    const support = detectSubscriptionSupport(metadata);
    const kind = await chooseKind(mode, values.topic, support, gateway);
    const content = oneOf(values.content ?? (kind.kind === 'rest-hook' ? 'full-resource' : 'id-only'), CONTENTS, '--content');
    if (kind.kind === 'rest-hook' && content === 'id-only') throw new UsageError('--content id-only needs a topic-based subscription');
    const endpoint = `${config.publicUrl.replace(/\/+$/, '')}/notify`;
    const status = support.medplum ? 'active' : initialSubscriptionStatus(kind);
    const options = { endpoint, criteria, secret, content, heartbeatSeconds, reason: 'Chartmine: analyse clinical notes (DocumentReference) into coded FHIR' };
    const subscription = buildSubscription(kind, { ...options, status }, support.medplum);
    if (values['dry-run']) {
      io.stdout.write(`${JSON.stringify(maskSecret(subscription, secret))}\n`);
      return 0;
    }
    let created: Resource;
    try {
      created = await gateway.createResource(subscription as unknown as Resource);
    } catch (err: unknown) {
      // A server that lets only itself set `active` refuses it (400/403/422): ask for `requested` and let it activate.
      if (status !== 'active' || !isRefusal(err)) throw err;
      io.stderr.write(`the server refused a Subscription created active (${describeRefusal(err)}): creating it requested\n`);
      created = await gateway.createResource(buildSubscription(kind, { ...options, status: 'requested' }, support.medplum) as unknown as Resource);
    }
    const id = created.id ?? '?';
    const reported = created.id ? await waitUntilActive(gateway, created.id, waitSeconds * 1000) : created;
    io.stdout.write(`${JSON.stringify(maskSecret(reported, secret))}\n`);
    const { status: now, error } = readSubscriptionStatus(reported);
    if (now !== 'active') {
      io.stderr.write(
        `Subscription/${id} is '${now}'${error ? ` (${error})` : ''} after ${waitSeconds} s, not 'active': the server will not deliver notifications. ` +
          (now === 'requested'
            ? 'Activate it on the server (an administrator may have to; HAPI activates requested rest-hooks itself unless manual activation is configured), or use POLL_INTERVAL.\n'
            : 'Check that the server can reach PUBLIC_URL/notify and that NOTIFY_SECRET matches, then recreate it.\n')
      );
      return 1;
    }
    io.stderr.write(`created Subscription/${id} (${kind.kind}, ${support.fhirVersion}), active → ${endpoint}\n`);
    if (values['catch-up']) {
      await requestCatchUp(endpoint, secret, config.ingest.secretHeader, io.stderr);
    } else {
      io.stderr.write('notes created before it was active are not notified: run `chartmine subscribe` with --catch-up, or POST an empty body to PUBLIC_URL/notify, to queue them\n');
    }
    return 0;
  },
};

async function chooseKind(
  mode: (typeof MODES)[number],
  topicArg: string | undefined,
  support: ReturnType<typeof detectSubscriptionSupport>,
  gateway: MedplumFhirGateway
): Promise<SubscriptionKind> {
  if (mode === 'rest-hook') return { kind: 'rest-hook' };
  const topicKind = support.fhirVersion === 'R5' ? 'r5' : 'backport';
  if (!support.topics) {
    if (mode === 'topic') throw new UsageError('the server does not advertise topic-based subscriptions (use --mode rest-hook)');
    return { kind: 'rest-hook' };
  }
  const topic = topicArg ?? (await findDocumentReferenceTopic(support, gateway));
  if (topic) return { kind: topicKind, topic };
  if (mode === 'topic') throw new UsageError('no single DocumentReference topic found on the server: name one with --topic');
  return { kind: 'rest-hook' };
}

/** The server's DocumentReference topic: the only one advertised, or the only SubscriptionTopic triggered by it. */
async function findDocumentReferenceTopic(support: ReturnType<typeof detectSubscriptionSupport>, gateway: MedplumFhirGateway): Promise<string | undefined> {
  const advertised = support.advertisedTopics.filter((t) => /documentreference/i.test(t));
  if (advertised.length === 1) return advertised[0];
  if (support.fhirVersion !== 'R4B' && support.fhirVersion !== 'R5') return undefined;
  let bundle: Bundle;
  try {
    bundle = await gateway.client.get<Bundle>(gateway.client.fhirUrl('SubscriptionTopic').toString() + '?_count=100', { maxRetries: 0 });
  } catch (err: unknown) {
    void err; // no searchable topics: fall back as if none were found
    return undefined;
  }
  const urls = (bundle.entry ?? [])
    .map((e) => e.resource as unknown as { url?: string; resourceTrigger?: { resource?: string }[] })
    .filter((t) => t?.url && (t.resourceTrigger ?? []).some((r) => /(^|\/)DocumentReference$/.test(r.resource ?? '')))
    .map((t) => t.url as string);
  return urls.length === 1 ? urls[0] : undefined;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) throw new UsageError(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** How often the Subscription is read back while waiting for the server to activate it. */
const ACTIVATION_POLL_MS = 500;

/** Reads the Subscription until the server reports it `active`, or until `waitMs` has passed; returns the last read. */
async function waitUntilActive(gateway: MedplumFhirGateway, id: string, waitMs: number): Promise<Resource> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const read = await readJson<Resource>(gateway, gateway.client.fhirUrl('Subscription', id).toString(), `Subscription/${id}`);
    const { status } = readSubscriptionStatus(read);
    if (status !== 'requested' || Date.now() >= deadline) return read;
    await new Promise((resolve) => setTimeout(resolve, Math.min(ACTIVATION_POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

/** GET as JSON; failures become classified AppErrors (one line at the CLI, never a stack trace). */
async function readJson<T>(gateway: MedplumFhirGateway, url: string, what: string): Promise<T> {
  try {
    return await gateway.client.get<T>(url, { maxRetries: 0 });
  } catch (err: unknown) {
    throw classifyRead(err, what);
  }
}

function isRefusal(err: unknown): boolean {
  return err instanceof WriteBackRejectedError || (err instanceof UpstreamRejectedError && (err.status === 400 || err.status === 403 || err.status === 422));
}

function describeRefusal(err: unknown): string {
  return err instanceof AppError ? err.message : 'refused';
}

/** Asks Chartmine for a catch-up: an empty POST to /notify is a ping (README, form 2). Best effort. */
async function requestCatchUp(endpoint: string, secret: string | undefined, header: string, stderr: NodeJS.WritableStream): Promise<void> {
  const headers: Record<string, string> = {};
  if (secret) headers[header] = header === 'authorization' ? `Bearer ${secret}` : secret;
  try {
    const response = await fetch(endpoint, { method: 'POST', headers, signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
    stderr.write(response.status === 202 ? 'catch-up requested: notes created before activation are being queued\n' : `catch-up request answered ${response.status}\n`);
  } catch (err: unknown) {
    void err; // unreachable from here (PUBLIC_URL may only be reachable from the FHIR server's side)
    stderr.write('catch-up request failed: POST an empty body to PUBLIC_URL/notify from where Chartmine is reachable\n');
  }
}
