/**
 * Validates a resource the way Chartmine promises: against the R4 base definition, against every profile it claims
 * in `meta.profile` (invariants included), and every extension it carries against that extension's definition.
 * `@medplum/core`'s validator does the first two; it neither follows an extension slice into its definition nor
 * checks which `value[x]` type an extension uses, so this module adds both. It does not check ValueSet bindings
 * (no terminology server): the codes the mapping table depends on are checked by the profiles' invariants.
 */
import { OperationOutcomeError, validateResource, validateTypedValue } from '@medplum/core';
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
  const profiles = options.profiles ?? ensureChartmineProfiles().profiles;
  const issues: OperationOutcomeIssue[] = [...collect(() => validateResource(resource))];
  for (const url of resource.meta?.profile ?? []) {
    const profile = profiles.get(url);
    if (!profile) {
      if (options.unknownProfiles !== 'ignore') issues.push(issue(`unknown profile ${url}`, `${resource.resourceType}.meta.profile`));
      continue;
    }
    issues.push(...collect(() => validateResource(resource, { profile })).map((i) => withProfile(i, url)));
  }
  visitExtensions(resource, resource.resourceType, (extension, path) => {
    const definition = profiles.get(extension.url);
    if (!definition) return;
    issues.push(...validateExtension(extension, definition, path));
  });
  return issues;
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

function validateExtension(extension: Extension, definition: StructureDefinition, path: string): OperationOutcomeIssue[] {
  const issues = collect(() => validateTypedValue({ type: 'Extension', value: extension }, { profile: definition })).map((i) =>
    withProfile({ ...i, expression: [path] }, definition.url as string)
  );
  const elements = definition.snapshot?.element ?? [];
  issues.push(...checkValueType(extension, elements, 'Extension', path));
  for (const child of extension.extension ?? []) {
    const slice = elements.find((e) => e.path === 'Extension.extension' && e.sliceName === child.url);
    if (slice) issues.push(...checkValueType(child, elements, `Extension.extension:${child.url}`, `${path}.extension('${child.url}')`));
  }
  return issues;
}

/** The validator accepts any `value[x]` type; the definition may allow only some. */
function checkValueType(extension: Extension, elements: readonly ElementDefinition[], id: string, path: string): OperationOutcomeIssue[] {
  const element = elements.find((e) => e.id === `${id}.value[x]`);
  const key = Object.keys(extension).find((k) => k.startsWith('value'));
  if (!element || !key) return [];
  if (element.max === '0') return [issue(`${key} not allowed`, path)];
  const allowed = (element.type ?? []).map((t) => `value${(t.code ?? '').charAt(0).toUpperCase()}${(t.code ?? '').slice(1)}`);
  return allowed.includes(key) ? [] : [issue(`${key} not allowed (expected ${allowed.join(' or ')})`, path)];
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
