/**
 * The authoring format of Chartmine's StructureDefinitions: a few metadata fields and a differential, compiled here
 * into a full StructureDefinition (differential + snapshot). Pure.
 */
import type { ElementDefinition, ElementDefinitionConstraint, StructureDefinition } from '@medplum/fhirtypes';
import { CHARTMINE_CANONICAL, profileUrl } from '../naming.js';
import { buildSnapshot, toDifferential, type DefinitionLookup, type DiffElement } from './snapshot.js';

/**
 * Version and date of the conformance resources. Bump both when a profile changes (the drift test regenerates the
 * JSON from the sources; the version says consumers should re-read it). Kept apart from the package version so a
 * release that changes no profile does not churn them.
 */
export const CONFORMANCE_VERSION = '0.3.0';
export const CONFORMANCE_DATE = '2026-12-04';
export const PUBLISHER = 'Chartmine';

/** What names a canonical resource Chartmine publishes. */
export interface CanonicalNames {
  readonly id: string;
  readonly url: string;
  readonly name: string;
  readonly title: string;
  readonly description: string;
}

/**
 * The metadata every conformance resource Chartmine publishes shares (CodeSystem, ValueSet, CapabilityStatement,
 * SubscriptionTopic), in the order the JSON lists it.
 * @param n - id, canonical URL, computable name, title and description.
 * @returns the metadata fields.
 */
export function canonicalMetadata(n: CanonicalNames): CanonicalNames & {
  readonly version: string;
  readonly status: 'active';
  readonly experimental: false;
  readonly date: string;
  readonly publisher: string;
} {
  return {
    id: n.id,
    url: n.url,
    version: CONFORMANCE_VERSION,
    name: n.name,
    title: n.title,
    status: 'active',
    experimental: false,
    date: CONFORMANCE_DATE,
    publisher: PUBLISHER,
    description: n.description,
  };
}

/** A profile or extension as authored. */
export interface ProfileSource {
  /** Resource id, also the last segment of the canonical URL. */
  readonly id: string;
  /** Computable name (PascalCase). */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Canonical URL of the base definition. */
  readonly baseDefinition: string;
  readonly type: string;
  readonly kind: StructureDefinition['kind'];
  /** Where an extension may be used. */
  readonly context?: StructureDefinition['context'];
  readonly elements: readonly DiffElement[];
  /** A canonical URL other than Chartmine's (a copy of an HL7 definition, kept for validation). */
  readonly url?: string;
  readonly version?: string;
  readonly publisher?: string;
}

/**
 * Compiles an authored profile into a StructureDefinition with differential and snapshot.
 * @param source - the authored profile.
 * @param lookup - finds base and type definitions.
 * @returns the StructureDefinition.
 */
export function compileProfile(source: ProfileSource, lookup: DefinitionLookup): StructureDefinition {
  const base = lookup(source.baseDefinition);
  if (!base) throw new Error(`${source.id}: unknown base ${source.baseDefinition}`);
  const elements = coalesce(source.elements);
  return {
    resourceType: 'StructureDefinition',
    id: source.id,
    url: source.url ?? profileUrl(source.id),
    version: source.version ?? CONFORMANCE_VERSION,
    name: source.name,
    title: source.title,
    status: 'active',
    experimental: false,
    date: CONFORMANCE_DATE,
    publisher: source.publisher ?? PUBLISHER,
    description: source.description,
    fhirVersion: '4.0.1',
    kind: source.kind,
    abstract: false,
    ...(source.context ? { context: source.context } : {}),
    type: source.type,
    baseDefinition: source.baseDefinition,
    derivation: 'constraint',
    snapshot: { element: buildSnapshot(base, elements, lookup) },
    differential: { element: toDifferential(elements) },
  };
}

/**
 * An error-level invariant owned by Chartmine.
 * @param key - `cm-…`.
 * @param human - what it requires, in words.
 * @param expression - FHIRPath that must be true.
 * @returns the constraint.
 */
export function invariant(key: string, human: string, expression: string): ElementDefinitionConstraint {
  return { key, severity: 'error', human, expression, source: `${CHARTMINE_CANONICAL}/StructureDefinition` };
}

/** Shorthand for an element constraint. */
export function el(id: string, rest: Partial<ElementDefinition> = {}): DiffElement {
  return { id, ...rest };
}

/** The slicing every `extension` element has: by `url`, open. */
export const EXTENSION_SLICING: ElementDefinition['slicing'] = {
  discriminator: [{ type: 'value', path: 'url' }],
  rules: 'open',
  description: 'Extensions are always sliced by (at least) url',
};

/**
 * A slice of `<path>.extension` for one extension.
 * @param path - e.g. `Condition`.
 * @param sliceName - the slice name.
 * @param url - the extension's canonical URL.
 * @param min - minimum occurrences.
 * @param max - maximum occurrences.
 * @returns the slice element.
 */
export function extensionSlice(path: string, sliceName: string, url: string, min: number, max: string): DiffElement {
  return el(`${path}.extension:${sliceName}`, { min, max, type: [{ code: 'Extension', profile: [url] }], mustSupport: true });
}

/** Merges differential entries with the same id (parts of a profile may each add invariants to the root). */
function coalesce(elements: readonly DiffElement[]): DiffElement[] {
  const out: DiffElement[] = [];
  for (const element of elements) {
    const index = out.findIndex((e) => e.id === element.id);
    if (index < 0) {
      out.push(element);
      continue;
    }
    const previous = out[index];
    const constraint = [...(previous.constraint ?? []), ...(element.constraint ?? [])];
    out[index] = { ...previous, ...element, ...(constraint.length > 0 ? { constraint } : {}) };
  }
  return out;
}
