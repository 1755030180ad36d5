/**
 * The Subscription `chartmine subscribe` creates on an external server, and what the server's CapabilityStatement
 * says it supports. Pure. Three shapes:
 * - R4 rest-hook (FHIR R4 Subscription): `criteria` = a DocumentReference search, `channel.header` the secret;
 * - topic-based on R4/R4B (Subscriptions R5 Backport IG): `criteria` = the topic canonical, the search in the
 *   `backport-filter-criteria` extension, content in `backport-payload-content`, heartbeat in
 *   `backport-heartbeat-period`;
 * - topic-based on R5 (FHIR R5 Subscription): `topic`, `filterBy`, `channelType`, `parameter`, `content`.
 * On Medplum, the HMAC `subscription-secret` extension is added too (X-Signature on every delivery).
 */
import type { CapabilityStatement } from '@medplum/fhirtypes';

/** Backport IG canonical URLs. */
export const BACKPORT = {
  subscriptionProfile: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription',
  serverCapability: 'http://hl7.org/fhir/uv/subscriptions-backport/CapabilityStatement/backport-subscription-server-r4',
  topicCanonical: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical',
  filterCriteria: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria',
  payloadContent: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content',
  heartbeatPeriod: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period',
} as const;
/** Medplum's HMAC signature secret extension. */
export const MEDPLUM_SUBSCRIPTION_SECRET = 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret';
const CHANNEL_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/subscription-channel-type';

/** What a server supports, read from its CapabilityStatement. */
export interface SubscriptionSupport {
  readonly fhirVersion: 'R4' | 'R4B' | 'R5' | 'unknown';
  /** Topic-based subscriptions (R4B/R5 natively, or the backport on R4). */
  readonly topics: boolean;
  /** Topic canonicals the server advertises (backport extension), if any. */
  readonly advertisedTopics: readonly string[];
  readonly medplum: boolean;
}

/**
 * Reads subscription support from a CapabilityStatement.
 * @param cs - the server's `metadata`.
 * @returns what it supports.
 */
export function detectSubscriptionSupport(cs: CapabilityStatement): SubscriptionSupport {
  const version = cs.fhirVersion ?? '';
  const fhirVersion = version.startsWith('4.0') ? 'R4' : version.startsWith('4.3') ? 'R4B' : version.startsWith('5.') ? 'R5' : 'unknown';
  const resources = cs.rest?.flatMap((r) => r.resource ?? []) ?? [];
  const subscription = resources.find((r) => r.type === 'Subscription');
  const hasTopicResource = resources.some((r) => (r.type as string) === 'SubscriptionTopic');
  const backport =
    (cs.instantiates ?? []).some((u) => u.startsWith(BACKPORT.serverCapability)) ||
    (subscription?.supportedProfile ?? []).some((p) => p.startsWith(BACKPORT.subscriptionProfile));
  const advertisedTopics = (subscription?.extension ?? [])
    .filter((e) => e.url === BACKPORT.topicCanonical && typeof e.valueCanonical === 'string')
    .map((e) => e.valueCanonical as string);
  return {
    fhirVersion,
    topics: backport || advertisedTopics.length > 0 || ((fhirVersion === 'R4B' || fhirVersion === 'R5') && hasTopicResource),
    advertisedTopics,
    medplum: /medplum/i.test(cs.software?.name ?? '') || /medplum/i.test(cs.publisher ?? ''),
  };
}

/** Inputs of the Subscription. */
export interface SubscriptionOptions {
  /** Where notifications go: `<PUBLIC_URL>/notify`. */
  readonly endpoint: string;
  /** `DocumentReference?…` */
  readonly criteria: string;
  /** NOTIFY_SECRET, sent as `Authorization: Bearer <secret>` (and as Medplum's HMAC key on Medplum). */
  readonly secret: string | undefined;
  /** R4 rest-hook: `full-resource` sends the note, `empty` a ping; topic: also `id-only`. */
  readonly content: 'empty' | 'id-only' | 'full-resource';
  readonly heartbeatSeconds: number;
  readonly reason: string;
  /**
   * The status to ask for. `active` where the server takes it as given (Medplum delivers only for `active` and
   * nothing promotes `requested`); `requested` where the server activates it itself (after a handshake for topic
   * subscriptions). Default `requested`.
   */
  readonly status?: 'active' | 'requested';
}

/**
 * The status to create a Subscription with first: `active` for R4 rest-hooks (Medplum, and servers that accept a
 * client-set status), `requested` for topic subscriptions, whose servers activate them after a handshake
 * (Subscriptions R5 Backport / R5).
 * @param kind - the subscription kind.
 * @returns the status.
 */
export function initialSubscriptionStatus(kind: SubscriptionKind): 'active' | 'requested' {
  return kind.kind === 'rest-hook' ? 'active' : 'requested';
}

/**
 * Reads the status a server reports for a Subscription (R4 `status`; R5 `status` too).
 * @param subscription - the resource as read back.
 * @returns the status and the server's error text, if any.
 */
export function readSubscriptionStatus(subscription: unknown): { readonly status: string; readonly error: string | undefined } {
  const s = (subscription ?? {}) as { status?: unknown; error?: unknown };
  return { status: typeof s.status === 'string' ? s.status : 'unknown', error: typeof s.error === 'string' ? s.error : undefined };
}

/** Which Subscription to build. */
export type SubscriptionKind = { readonly kind: 'rest-hook' } | { readonly kind: 'backport' | 'r5'; readonly topic: string };

/**
 * Builds the Subscription resource (JSON; R5's shape is not an R4 type).
 * @param kind - R4 rest-hook, backport topic (R4/R4B) or R5 topic.
 * @param options - endpoint, criteria, secret, content, heartbeat.
 * @param medplum - add Medplum's signature extension.
 * @returns the resource.
 */
export function buildSubscription(kind: SubscriptionKind, options: SubscriptionOptions, medplum = false): Record<string, unknown> {
  const header = options.secret ? [`Authorization: Bearer ${options.secret}`] : [];
  const extension = medplum && options.secret ? [{ url: MEDPLUM_SUBSCRIPTION_SECRET, valueString: options.secret }] : [];
  const base = { resourceType: 'Subscription', status: options.status ?? 'requested', reason: options.reason, ...(extension.length ? { extension } : {}) };
  if (kind.kind === 'rest-hook') {
    return {
      ...base,
      criteria: options.criteria,
      channel: {
        type: 'rest-hook',
        endpoint: options.endpoint,
        // R4: with a payload the resource is sent; without one, an empty POST (Chartmine then searches).
        ...(options.content === 'empty' ? {} : { payload: 'application/fhir+json' }),
        ...(header.length ? { header } : {}),
      },
    };
  }
  if (kind.kind === 'backport') {
    return {
      ...base,
      meta: { profile: [BACKPORT.subscriptionProfile] },
      criteria: kind.topic,
      _criteria: { extension: [{ url: BACKPORT.filterCriteria, valueString: options.criteria }] },
      channel: {
        extension: [{ url: BACKPORT.heartbeatPeriod, valueUnsignedInt: options.heartbeatSeconds }],
        type: 'rest-hook',
        endpoint: options.endpoint,
        payload: 'application/fhir+json',
        _payload: { extension: [{ url: BACKPORT.payloadContent, valueCode: options.content }] },
        ...(header.length ? { header } : {}),
      },
    };
  }
  const query = new URLSearchParams(options.criteria.split('?')[1] ?? '');
  return {
    ...base,
    topic: kind.topic,
    filterBy: [...query.entries()].map(([filterParameter, value]) => ({ resourceType: 'DocumentReference', filterParameter, value })),
    channelType: { system: CHANNEL_TYPE_SYSTEM, code: 'rest-hook' },
    endpoint: options.endpoint,
    ...(options.secret ? { parameter: [{ name: 'Authorization', value: `Bearer ${options.secret}` }] } : {}),
    heartbeatPeriod: options.heartbeatSeconds,
    contentType: 'application/fhir+json',
    content: options.content,
  };
}

/**
 * The Subscription with its secret masked, for printing.
 * @param subscription - the resource.
 * @param secret - the secret to mask.
 * @returns a copy safe to show.
 */
export function maskSecret(subscription: unknown, secret: string | undefined): unknown {
  if (!secret) return subscription;
  return JSON.parse(JSON.stringify(subscription).split(secret).join('***'));
}
