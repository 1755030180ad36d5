/**
 * A small snapshot generator: base snapshot + differential → snapshot. Pure; the base definitions come from a
 * lookup. It implements what Chartmine's profiles use and no more: constraining existing elements (cardinality,
 * types, fixed/pattern values, bindings, invariants, must-support), slicing (new slices copied from the sliced
 * element), and unrolling a complex type's children when the differential constrains inside it. Extension slices
 * get their `url` child with the extension's URL fixed, because `@medplum/core`'s validator discriminates
 * extension slices by that child.
 *
 * Why not SUSHI: it produces differentials only (the IG Publisher makes snapshots), needs packages.fhir.org to
 * resolve `hl7.fhir.r4.core`, and `@medplum/core` validates against snapshots.
 */
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';

/** Finds a StructureDefinition (with snapshot) by canonical URL or, for base types, by type name. */
export type DefinitionLookup = (urlOrType: string) => StructureDefinition | undefined;

/** A differential element: `id` is required, `path` is derived from it. */
export type DiffElement = Omit<ElementDefinition, 'path'> & { readonly id: string };

/**
 * Builds the snapshot of a profile.
 * @param base - the base definition (with snapshot).
 * @param differential - the profile's differential elements, in any order that lists parents before children.
 * @param lookup - finds type definitions for unrolling.
 * @returns the snapshot elements.
 * @throws Error when the differential names an element that cannot exist.
 */
export function buildSnapshot(base: StructureDefinition, differential: readonly DiffElement[], lookup: DefinitionLookup): ElementDefinition[] {
  const elements: ElementDefinition[] = structuredClone(base.snapshot?.element ?? []);
  if (elements.length === 0) throw new Error(`${base.url}: base has no snapshot`);
  for (const diff of differential) {
    let index = elements.findIndex((e) => e.id === diff.id);
    if (index < 0) index = insertMissing(elements, diff.id, lookup);
    elements[index] = merge(elements[index], diff);
    if (isExtensionSlice(elements[index]) && diff.type?.[0]?.profile?.[0]) {
      ensureChild(elements, index, 'url', { fixedUri: diff.type[0].profile[0] }, lookup);
    }
  }
  return elements;
}

/**
 * The differential as stored in the StructureDefinition: each element with its `path`.
 * @param differential - the differential elements.
 * @returns them with paths.
 */
export function toDifferential(differential: readonly DiffElement[]): ElementDefinition[] {
  return differential.map((d) => ({ ...d, path: pathOf(d.id) }));
}

/** `Observation.category:lab.coding` → `Observation.category.coding`. */
export function pathOf(id: string): string {
  return id
    .split('.')
    .map((part) => part.split(':')[0])
    .join('.');
}

function parentId(id: string): string {
  return id.slice(0, id.lastIndexOf('.'));
}

function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('.') + 1);
}

/** Inserts the element with this id (a new slice, or a child of a complex type) and returns its index. */
function insertMissing(elements: ElementDefinition[], id: string, lookup: DefinitionLookup): number {
  const segment = lastSegment(id);
  if (segment.includes(':')) {
    const slicedId = id.slice(0, id.length - segment.length) + segment.split(':')[0];
    let slicedIndex = elements.findIndex((e) => e.id === slicedId);
    if (slicedIndex < 0) slicedIndex = insertMissing(elements, slicedId, lookup);
    const sliced = elements[slicedIndex];
    const slice: ElementDefinition = { ...structuredClone(sliced), id, sliceName: segment.split(':')[1] };
    delete slice.slicing;
    const at = endOfSubtree(elements, slicedIndex);
    elements.splice(at, 0, slice);
    return at;
  }
  const parent = parentId(id);
  let parentIndex = elements.findIndex((e) => e.id === parent);
  if (parentIndex < 0) parentIndex = insertMissing(elements, parent, lookup);
  unroll(elements, parentIndex, lookup);
  const index = elements.findIndex((e) => e.id === id);
  if (index < 0) throw new Error(`no element ${id} in ${elements[0].id}`);
  return index;
}

/** Adds the children of a complex-typed element from its type's definition, right after it. */
function unroll(elements: ElementDefinition[], index: number, lookup: DefinitionLookup): void {
  const parent = elements[index];
  if (elements[index + 1]?.id?.startsWith(`${parent.id}.`)) return; // already unrolled
  const types = parent.type ?? [];
  if (types.length !== 1) throw new Error(`cannot unroll ${parent.id}: it needs exactly one type`);
  const typeDef = lookup(types[0].code as string);
  const typeElements = typeDef?.snapshot?.element;
  if (!typeElements) throw new Error(`no definition of type ${types[0].code}`);
  const root = typeElements[0].path as string;
  const children = typeElements.slice(1).map((e) => ({
    ...structuredClone(e),
    id: `${parent.id}${(e.id as string).slice(root.length)}`,
    path: `${parent.path}${(e.path as string).slice(root.length)}`,
  }));
  elements.splice(index + 1, 0, ...children);
}

function ensureChild(elements: ElementDefinition[], index: number, child: string, values: Partial<ElementDefinition>, lookup: DefinitionLookup): void {
  const id = `${elements[index].id}.${child}`;
  let at = elements.findIndex((e) => e.id === id);
  if (at < 0) {
    unroll(elements, index, lookup);
    at = elements.findIndex((e) => e.id === id);
  }
  elements[at] = { ...elements[at], ...values };
}

/** Index just past the element, its children and its slices. */
function endOfSubtree(elements: readonly ElementDefinition[], index: number): number {
  const id = elements[index].id as string;
  let at = index + 1;
  while (at < elements.length) {
    const other = elements[at].id as string;
    if (!other.startsWith(`${id}.`) && !other.startsWith(`${id}:`)) break;
    at++;
  }
  return at;
}

function isExtensionSlice(element: ElementDefinition): boolean {
  return !!element.sliceName && element.type?.length === 1 && element.type[0].code === 'Extension';
}

/** Applies a differential element: its properties replace the base's, constraints are added. */
function merge(base: ElementDefinition, diff: DiffElement): ElementDefinition {
  const { constraint, ...rest } = diff;
  const merged: ElementDefinition = { ...base, ...rest, path: base.path };
  if (constraint) {
    merged.constraint = [...(base.constraint ?? []), ...constraint.map((c) => ({ ...c, source: c.source }))];
  }
  return merged;
}
