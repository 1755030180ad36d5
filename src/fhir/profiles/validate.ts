/**
 * Validates a resource the way Chartmine promises: against the R4 base definition, against every profile it claims
 * in `meta.profile` (invariants included), and every extension it carries against that extension's definition.
 * `@medplum/core`'s validator does the first two; it neither follows an extension slice into its definition nor
 * checks which `value[x]` type an extension uses, so this module adds the third: each extension definition is
 * compiled once into its rules (value types and cardinality, sub-extension slices, invariants) and every instance
 * checked against them — Medplum's validator re-parses a definition on every call, which made validating each
 * span's `derivation-reference` the dearest part of a write. It does not check ValueSet bindings (no terminology
 * server): the codes the mapping table depends on are checked by the profiles' invariants.
 */
import {
  evalFhirPathTyped,
  getAllDataTypes,
  getDataType,
  LRUCache,
  OperationOutcomeError,
  parseStructureDefinition,
  validateResource,
  validateTypedValue,
  type FhirPathAtom,
  type InternalTypeSchema,
} from '@medplum/core';
import type { ElementDefinition, Extension, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { ensureChartmineProfiles } from './load-profiles.js';

/** How to treat a `meta.profile` no definition is loaded for. */
export interface ProfileValidationOptions {
  /** `error` (default: everything Chartmine claims must be known) or `ignore` (as a server does for foreign profiles). */
  readonly unknownProfiles?: 'error' | 'ignore';
  /** The definitions to use (default: the loaded `fhir-profiles/` and FHIR's vital-sign profiles). */
  readonly profiles?: ReadonlyMap<string, StructureDefinition>;
}

/**
 * Validates one resource.
 * @param resource - the resource.
 * @param options - unknown-profile handling and definitions.
 * @returns every issue (errors and warnings); an empty list means valid.
 */
export function validateAgainstProfiles(resource: Resource, options: ProfileValidationOptions = {}): OperationOutcomeIssue[] {
  return validate(resource, options, false);
}

/**
 * The errors of {@link validateAgainstProfiles} — the same issues, in the same order — at less cost: what a server
 * needs to accept or refuse a write. When the resource passes a profile it claims whose validation implies the base
 * definition's ({@link profileImpliesBase}), the base definition cannot find an error either, so its walk over the
 * resource is skipped (about a third of the time a Chartmine resource took); otherwise, or when any error was found,
 * the base walk runs as before. `profiles.test.ts` checks both ways give the same errors on valid and broken resources.
 * @param resource - the resource.
 * @param options - unknown-profile handling and definitions.
 * @returns errors and fatals; empty when valid.
 */
export function validationErrors(resource: Resource, options: ProfileValidationOptions = {}): OperationOutcomeIssue[] {
  return errorsOf(validate(resource, options, true));
}

function validate(resource: Resource, options: ProfileValidationOptions, skipImpliedBase: boolean): OperationOutcomeIssue[] {
  const profiles = options.profiles ?? ensureChartmineProfiles().profiles;
  const issues: OperationOutcomeIssue[] = [...emptyValueIssues(resource)];
  let baseImplied = false;
  for (const url of resource.meta?.profile ?? []) {
    const profile = profiles.get(url);
    if (!profile) {
      if (options.unknownProfiles !== 'ignore') issues.push(issue(`unknown profile ${url}`, `${resource.resourceType}.meta.profile`));
      continue;
    }
    const found = validateWithProfile(resource, profile);
    issues.push(...found.map((i) => withProfile(i, url)));
    if (skipImpliedBase && !baseImplied && errorsOf(found).length === 0 && profileImpliesBase(resource, profile)) baseImplied = true;
  }
  visitExtensions(resource, resource.resourceType, (extension, path) => {
    const definition = profiles.get(extension.url);
    if (!definition) return;
    issues.push(...validateExtension(extension, definition, path));
  });
  return baseImplied ? issues : [...collect(() => validateResource(resource)), ...issues];
}

/** What a profile's parsed schema keeps of the base definition (computed once per profile). */
interface BaseCoverage {
  /** Whether every check of the base schema is also a check of the profile's (choice types aside). */
  readonly covers: boolean;
  /** Choice elements whose types the profile narrows: a value of another type is not checked by the profile. */
  readonly narrowed: readonly { readonly prefix: string; readonly baseTypes: ReadonlySet<string>; readonly profileTypes: ReadonlySet<string> }[];
}

const coverages = new Map<string, BaseCoverage>();

/**
 * Whether a resource with no error against `profile` can have none against its base definition either. Medplum's
 * validator walks a value with one schema; the profile's (its parsed snapshot) implies the base's when, for every
 * top-level element of the base, the profile has it with at least its cardinality, the same array-ness, the same type
 * codes, every error constraint (same key and expression), no fixed value, pattern or slicing of the base's lost, and
 * no top-level element the base lacks (the base would call it an additional property); every base constraint on the
 * root is kept. Nested values are walked with the datatypes' own schemas in both walks. A profile may narrow a choice
 * element (`value[x]` to Quantity): then a resource using a type the profile drops (which the profile's walk does not
 * look at) gets the base walk. Anything else — another resource type, a profile that loosens anything — gets it too.
 * @param resource - the resource validated.
 * @param profile - a profile it claims, with snapshot.
 * @returns true when skipping the base walk cannot hide an error.
 */
export function profileImpliesBase(resource: Resource, profile: StructureDefinition): boolean {
  if (profile.kind !== 'resource' || profile.type !== resource.resourceType || !profile.url) return false;
  let coverage = coverages.get(profile.url);
  if (!coverage) {
    coverage = computeCoverage(profileSchema(profile), getDataType(profile.type));
    coverages.set(profile.url, coverage);
  }
  if (!coverage.covers) return false;
  const keys = Object.keys(resource).map((k) => (k.startsWith('_') ? k.slice(1) : k));
  return coverage.narrowed.every(({ prefix, baseTypes, profileTypes }) =>
    keys.every((k) => !k.startsWith(prefix) || !baseTypes.has(k.slice(prefix.length)) || profileTypes.has(k.slice(prefix.length)))
  );
}

function computeCoverage(profile: InternalTypeSchema, base: InternalTypeSchema): BaseCoverage {
  const narrowed: { prefix: string; baseTypes: Set<string>; profileTypes: Set<string> }[] = [];
  const keeps = (mine: InternalTypeSchema['constraints'], theirs: InternalTypeSchema['constraints']): boolean =>
    (theirs ?? []).filter((c) => c.severity === 'error').every((c) => (mine ?? []).some((m) => m.key === c.key && m.expression === c.expression && m.severity === 'error'));
  let covers = keeps(profile.constraints, base.constraints);
  for (const [key, b] of Object.entries(base.elements)) {
    const p = profile.elements[key];
    if (!p || p.min < b.min || p.max > b.max || !!p.isArray !== !!b.isArray || !keeps(p.constraints, b.constraints)) covers = false;
    else if (b.fixed || b.pattern || b.slicing) covers = false;
    else {
      const baseTypes = new Set(b.type.map((t) => capitalize(t.code)));
      const profileTypes = new Set(p.type.map((t) => capitalize(t.code)));
      if ([...profileTypes].some((t) => !baseTypes.has(t))) covers = false;
      else if (profileTypes.size < baseTypes.size) {
        if (!key.endsWith('[x]')) covers = false;
        else narrowed.push({ prefix: key.slice(0, -'[x]'.length), baseTypes, profileTypes });
      }
    }
  }
  // A dotted key is a deeper rule of the profile's (more checks); a new top-level one would allow what the base refuses.
  if (Object.keys(profile.elements).some((key) => !key.includes('.') && !base.elements[key])) covers = false;
  return { covers, narrowed };
}

function capitalize(code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1);
}

/** The profile's parsed schema, registered once under its URL (see {@link validateWithProfile}). */
function profileSchema(profile: StructureDefinition): InternalTypeSchema {
  const key = profile.url as string;
  const types = getAllDataTypes();
  if (!types[key]) types[key] = { ...parseStructureDefinition(profile), kind: 'logical' };
  return types[key];
}

/**
 * `validateResource(resource, { profile })` without re-parsing the profile on every call (Medplum's validator parses
 * the snapshot each time: about 3 ms of the 4 ms a Chartmine resource took, and the embedded store validates every
 * write). The parsed schema is registered once in `@medplum/core`'s type map under the profile's URL — a name no
 * FHIR type can have — and the resource validated as a value of that type: the same validator, the same schema, the
 * same checks. The entry is marked `logical` so `getResourceTypes()` does not list profiles as resource types.
 * `profiles.test.ts` checks that both ways give the same issues.
 * @param resource - the resource.
 * @param profile - the profile (with snapshot).
 * @returns the issues.
 */
export function validateWithProfile(resource: Resource, profile: StructureDefinition): OperationOutcomeIssue[] {
  profileSchema(profile);
  return collect(() => validateTypedValue({ type: profile.url as string, value: resource }));
}

/**
 * Only the errors of a validation.
 * @param issues - issues from `validateAgainstProfiles`.
 * @returns errors and fatals.
 */
export function errorsOf(issues: readonly OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
}

/**
 * One line per issue, for test failures and the CLI (paths and messages from the validator: no resource content).
 * @param issues - the issues.
 * @returns the lines.
 */
export function describeIssues(issues: readonly OperationOutcomeIssue[]): string[] {
  return issues.map((i) => `${i.severity}: ${i.details?.text ?? i.diagnostics ?? i.code} @ ${(i.expression ?? []).join(', ')}`);
}

/** What an extension definition requires of an instance, compiled once per definition. */
interface ExtensionRules {
  readonly value: ValueRule;
  /** Whether the instance may carry sub-extensions (`Extension.extension` not 0..0). */
  readonly nested: boolean;
  /** Sub-extension slices by url. */
  readonly slices: ReadonlyMap<string, { readonly min: number; readonly max: number; readonly value: ValueRule }>;
  /** Invariants on the extension (error severity). */
  readonly constraints: readonly Constraint[];
}

interface ValueRule {
  /** Allowed `value[x]` keys (`valueCode`, …); empty when no value is allowed. */
  readonly keys: readonly string[];
  readonly required: boolean;
  /** Invariants on the value itself. */
  readonly constraints: readonly Constraint[];
}

interface Constraint {
  readonly key: string;
  readonly human: string;
  readonly expression: string;
}

const compiled = new WeakMap<StructureDefinition, ExtensionRules>();

function rulesOf(definition: StructureDefinition): ExtensionRules {
  let rules = compiled.get(definition);
  if (!rules) {
    rules = compileExtension(definition.snapshot?.element ?? []);
    compiled.set(definition, rules);
  }
  return rules;
}

function compileExtension(elements: readonly ElementDefinition[]): ExtensionRules {
  const byId = new Map(elements.map((e) => [e.id as string, e]));
  const slices = new Map<string, { min: number; max: number; value: ValueRule }>();
  for (const slice of elements.filter((e) => e.path === 'Extension.extension' && e.sliceName)) {
    const id = slice.id as string;
    const url = byId.get(`${id}.url`)?.fixedUri ?? slice.sliceName;
    slices.set(url as string, { min: slice.min ?? 0, max: cardinality(slice.max), value: valueRule(byId.get(`${id}.value[x]`)) });
  }
  return {
    value: valueRule(byId.get('Extension.value[x]')),
    nested: byId.get('Extension.extension')?.max !== '0',
    slices,
    constraints: constraintsOf(byId.get('Extension')),
  };
}

function valueRule(element: ElementDefinition | undefined): ValueRule {
  if (!element) return { keys: [], required: false, constraints: [] };
  const keys = element.max === '0' ? [] : (element.type ?? []).map((t) => `value${(t.code ?? '').charAt(0).toUpperCase()}${(t.code ?? '').slice(1)}`);
  return { keys, required: (element.min ?? 0) > 0, constraints: constraintsOf(element) };
}

function constraintsOf(element: ElementDefinition | undefined): Constraint[] {
  return (element?.constraint ?? [])
    .filter((c) => c.severity === 'error' && c.key !== 'ele-1' && c.expression)
    .map((c) => ({ key: c.key as string, human: c.human ?? '', expression: c.expression as string }));
}

function cardinality(max: string | undefined): number {
  return max === undefined || max === '*' ? Number.POSITIVE_INFINITY : Number(max);
}

function validateExtension(extension: Extension, definition: StructureDefinition, path: string): OperationOutcomeIssue[] {
  const rules = rulesOf(definition);
  const issues = checkValue(extension, rules.value, path);
  const children = extension.extension ?? [];
  if (children.length > 0 && !rules.nested) issues.push(issue('sub-extensions not allowed', path));
  for (const [url, slice] of rules.slices) {
    const found = children.filter((c) => c.url === url);
    if (found.length < slice.min || found.length > slice.max) {
      issues.push(issue(`expected ${slice.min}..${Number.isFinite(slice.max) ? slice.max : '*'} '${url}', found ${found.length}`, path));
    }
    found.forEach((child, i) => issues.push(...checkValue(child, slice.value, `${path}.extension('${url}')[${i}]`)));
  }
  for (const c of rules.constraints) {
    if (!holds(c, { type: 'Extension', value: extension })) issues.push(constraintIssue(c, path));
  }
  return issues.map((i) => withProfile(i, definition.url as string));
}

function checkValue(extension: Extension, rule: ValueRule, path: string): OperationOutcomeIssue[] {
  const key = Object.keys(extension).find((k) => k.startsWith('value'));
  if (!key) return rule.required ? [issue('value required', path)] : [];
  if (!rule.keys.includes(key)) {
    return [issue(rule.keys.length === 0 ? `${key} not allowed` : `${key} not allowed (expected ${rule.keys.join(' or ')})`, path)];
  }
  const suffix = key.slice('value'.length);
  const type = PRIMITIVE_TYPES.has(suffix.charAt(0).toLowerCase() + suffix.slice(1)) ? suffix.charAt(0).toLowerCase() + suffix.slice(1) : suffix;
  const value = { type, value: (extension as unknown as Record<string, unknown>)[key] };
  return rule.constraints.filter((c) => !holds(c, value)).map((c) => constraintIssue(c, path));
}

const PRIMITIVE_TYPES = new Set(['boolean', 'integer', 'decimal', 'string', 'code', 'uri', 'url', 'canonical', 'id', 'markdown', 'date', 'dateTime', 'instant', 'time', 'positiveInt', 'unsignedInt', 'base64Binary', 'oid', 'uuid']);

/** Parsed invariant expressions: parsing one took longer than evaluating it, on every extension of every write. */
const EXPRESSION_CACHE = new LRUCache<FhirPathAtom>(1_000);

function holds(c: Constraint, value: { type: string; value: unknown }): boolean {
  try {
    const result = evalFhirPathTyped(c.expression, [value], { '%context': value, '%resource': value }, EXPRESSION_CACHE);
    return result.length === 1 && result[0].value === true;
  } catch (err: unknown) {
    void err; // an expression the engine cannot evaluate counts as not met, as in Medplum's validator
    return false;
  }
}

function constraintIssue(c: Constraint, path: string): OperationOutcomeIssue {
  return { severity: 'error', code: 'invariant', details: { text: `Constraint ${c.key} not met: ${c.human}` }, expression: [path] };
}

function visitExtensions(value: unknown, path: string, visit: (extension: Extension, path: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => visitExtensions(v, `${path}[${i}]`, visit));
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if ((key === 'extension' || key === 'modifierExtension') && Array.isArray(child)) {
      child.forEach((ext: Extension, i) => {
        if (ext && typeof ext.url === 'string') visit(ext, `${path}.${key}[${i}]`);
      });
    }
    visitExtensions(child, `${path}.${key}`, visit);
  }
}

function collect(run: () => OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  try {
    return run();
  } catch (err: unknown) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    return [issue(`validator failed: ${err instanceof Error ? err.name : typeof err}`, '')];
  }
}

function withProfile(i: OperationOutcomeIssue, url: string): OperationOutcomeIssue {
  return { ...i, diagnostics: `profile ${url}` };
}

function issue(text: string, expression: string): OperationOutcomeIssue {
  return { severity: 'error', code: 'structure', details: { text }, expression: [expression] };
}

/**
 * FHIR JSON forbids empty values: "objects, arrays and strings SHALL NOT be empty" (R4 JSON format, §2.6.2).
 * `@medplum/core`'s validator lets them pass and Medplum drops them when it stores the resource, so a resource with
 * `when: []` never equals what the server gives back. Reported here as errors with their path.
 * @param resource - the resource.
 * @returns one issue per empty array, object or string.
 */
export function emptyValueIssues(resource: Resource): OperationOutcomeIssue[] {
  const out: OperationOutcomeIssue[] = [];
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (value.length === 0) out.push(issue('empty string: FHIR JSON values must not be empty', path));
    } else if (Array.isArray(value)) {
      if (value.length === 0) out.push(issue('empty array: FHIR JSON values must not be empty', path));
      value.forEach((v, i) => visit(v, `${path}[${i}]`));
    } else if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (entries.length === 0) out.push(issue('empty object: FHIR JSON values must not be empty', path));
      for (const [k, v] of entries) visit(v, `${path}.${k}`);
    }
  };
  visit(resource, resource.resourceType);
  return out;
}
