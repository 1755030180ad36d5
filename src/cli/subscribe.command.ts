import { parseArgs } from 'node:util';
import type { Bundle, CapabilityStatement, Resource } from '@medplum/fhirtypes';
import { loadConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { createFhirAuth } from '../fhir/auth.js';
import { buildSubscription, detectSubscriptionSupport, maskSecret, type SubscriptionKind } from '../fhir/build-subscription.js';
import type { MedplumFhirGateway } from '../fhir/gateway.js';
import { createFhirGateway } from '../runtime.js';
import type { CliCommand } from './command.js';
import { UsageError } from './command.js';

const CONTENTS = ['empty', 'id-only', 'full-resource'] as const;
const MODES = ['auto', 'rest-hook', 'topic'] as const;

/** `chartmine subscribe`: creates the Subscription that sends notes to this Chartmine on the external server. */
export const subscribeCommand: CliCommand = {
  name: 'subscribe',
  summary: 'create the Subscription on the external FHIR server that notifies this Chartmine (PUBLIC_URL/notify)',
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
      },
    });
    const mode = oneOf(values.mode, MODES, '--mode');
    const config = loadConfig(io.env);
    if (config.fhir.kind !== 'external') throw new ConfigError('FHIR_BASE_URL: required for `chartmine subscribe` (the server to subscribe on)');
    if (!config.publicUrl) throw new ConfigError('PUBLIC_URL: required for `chartmine subscribe` (where the server sends notifications)');
    const heartbeatSeconds = Number(values.heartbeat);
    if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < 1) throw new UsageError('--heartbeat must be a positive number of seconds');
    const criteria = values.criteria ?? `DocumentReference${config.ingest.pollQuery ? `?${config.ingest.pollQuery}` : ''}`;
    if (!/^DocumentReference(\?.*)?$/.test(criteria)) throw new UsageError('--criteria must be a DocumentReference search, e.g. DocumentReference?type=...');
    const secret = config.notifySecret;
    if (!secret) io.stderr.write('warning: NOTIFY_SECRET is unset: the Subscription will carry no credentials\n');
    if (secret?.includes(':')) throw new ConfigError('NOTIFY_SECRET: must not contain ":" to travel in a Subscription header');
    if (/(^|[?&])status=/.test(criteria)) io.stderr.write('warning: criteria filter on status: notes marked entered-in-error will not notify\n');

    const auth = await createFhirAuth(config.fhirAuth, config.fhir.baseUrl, { timeoutMs: config.fhir.timeoutMs });
    const gateway = createFhirGateway(config, config.fhir.baseUrl, auth);
    const metadata = await gateway.client.get<CapabilityStatement>(gateway.client.fhirUrl('metadata').toString(), { maxRetries: 0 });
    const support = detectSubscriptionSupport(metadata);
    const kind = await chooseKind(mode, values.topic, support, gateway);
    const content = oneOf(values.content ?? (kind.kind === 'rest-hook' ? 'full-resource' : 'id-only'), CONTENTS, '--content');
    if (kind.kind === 'rest-hook' && content === 'id-only') throw new UsageError('--content id-only needs a topic-based subscription');
    const endpoint = `${config.publicUrl.replace(/\/+$/, '')}/notify`;
    const subscription = buildSubscription(
      kind,
      { endpoint, criteria, secret, content, heartbeatSeconds, reason: 'Chartmine: analyse clinical notes (DocumentReference) into coded FHIR' },
      support.medplum
    );
    if (values['dry-run']) {
      io.stdout.write(`${JSON.stringify(maskSecret(subscription, secret))}\n`);
      return 0;
    }
    const created = await gateway.client.post(gateway.client.fhirUrl('Subscription').toString(), subscription, undefined, { maxRetries: 0 });
    io.stdout.write(`${JSON.stringify(maskSecret(created, secret))}\n`);
    io.stderr.write(`created Subscription/${(created as Resource).id ?? '?'} (${kind.kind}, ${support.fhirVersion}) → ${endpoint}\n`);
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
