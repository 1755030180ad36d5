/**
 * Queue namespaces: the jobs of one FHIR server live under their own Redis keys, so a worker never takes another
 * server's jobs (two instances with embedded stores on one Redis, or two deployments sharing a Redis and a
 * QUEUE_PREFIX). The namespace is derived from the FHIR base URL the jobs' notes live on — the embedded store's own
 * URL (PUBLIC_URL, or the address the server listens on) or FHIR_BASE_URL — so a `chartmine worker` pointed at a
 * server finds that server's jobs; QUEUE_NAMESPACE overrides it.
 */
import { createHash } from 'node:crypto';

/**
 * The namespace of a FHIR server's jobs (the same for the server with the embedded store and for a worker whose
 * FHIR_BASE_URL points at that store).
 * @param fhirBaseUrl - the base URL the notes are read from.
 * @returns e.g. `fhir-8e1b2c3d4e5f`.
 */
export function queueNamespace(fhirBaseUrl: string): string {
  const url = new URL(fhirBaseUrl);
  const normalized = `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}/`;
  const hash = createHash('sha256').update(normalized).digest('hex').slice(0, 12);
  return `fhir-${hash}`;
}

/**
 * The BullMQ/lease key prefix of a namespace.
 * @param queuePrefix - QUEUE_PREFIX.
 * @param namespace - the namespace.
 * @returns `<QUEUE_PREFIX>:<namespace>`.
 */
export function namespacedPrefix(queuePrefix: string, namespace: string): string {
  return `${queuePrefix}:${namespace}`;
}

/**
 * The FHIR base URL the embedded store is known by.
 * @param publicUrl - PUBLIC_URL, when set.
 * @param listenUrl - the address the server listens on, e.g. `http://127.0.0.1:8080`.
 * @returns the base, ending in `/fhir/R4/`.
 */
export function embeddedFhirBase(publicUrl: string | undefined, listenUrl: string): string {
  return `${(publicUrl ?? listenUrl).replace(/\/+$/, '')}/fhir/R4/`;
}

/** The parts of the configuration that decide the namespace. */
export interface NamespaceConfig {
  readonly queuePrefix: string;
  readonly queueNamespace?: string | undefined;
  readonly publicUrl?: string | undefined;
  readonly port: number;
  readonly fhir: { readonly kind: 'embedded' } | { readonly kind: 'external'; readonly baseUrl: string };
}

/**
 * The key prefix a process uses for analyze-note jobs and note leases.
 * @param config - QUEUE_PREFIX, QUEUE_NAMESPACE, PUBLIC_URL, PORT and the FHIR server.
 * @param listenUrl - where this process's embedded store listens (default: loopback on PORT, as CLI commands see it).
 * @returns the namespace and the prefix.
 */
export function resolveQueueNamespace(config: NamespaceConfig, listenUrl?: string): { namespace: string; prefix: string } {
  const namespace =
    config.queueNamespace ??
    (config.fhir.kind === 'external'
      ? queueNamespace(config.fhir.baseUrl)
      : queueNamespace(embeddedFhirBase(config.publicUrl, listenUrl ?? `http://127.0.0.1:${config.port}`)));
  return { namespace, prefix: namespacedPrefix(config.queuePrefix, namespace) };
}
