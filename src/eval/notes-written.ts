/**
 * What a transaction Bundle (the one `chartmine extract` prints) writes, as the items `eval notes` scores: one
 * item per Condition, Procedure, MedicationStatement and AllergyIntolerance, one per valued Observation (a panel's
 * valued components each count as one), one per FamilyMemberHistory condition. Pure.
 */
import type { Bundle, CodeableConcept, Extension, Quantity, Resource } from '@medplum/fhirtypes';
import { ASSERTION_EXTENSION_URL, DERIVATION_REFERENCE_URL } from '../fhir/naming.js';
import { ICD10CM, LOINC, RXNORM, SNOMED } from '../terminology/systems.js';

/** The scored categories. */
export type NoteCategory = 'conditions' | 'procedures' | 'medications' | 'observations' | 'allergies' | 'family history';
export const NOTE_CATEGORIES: readonly NoteCategory[] = ['conditions', 'procedures', 'medications', 'observations', 'allergies', 'family history'];

/** A span of the note a resource was derived from (derivation-reference offset/length). */
export interface WrittenSpan {
  readonly start: number;
  readonly end: number;
}

/** One scored item of the output. */
export interface WrittenItem {
  readonly resourceType: 'Condition' | 'Procedure' | 'MedicationStatement' | 'Observation' | 'AllergyIntolerance' | 'FamilyMemberHistory';
  /** Index of the resource in the Bundle (items of one resource share it). */
  readonly resourceIndex: number;
  readonly name: string;
  /** Codes by system: `icd10cm` without dots, upper case. */
  readonly icd10cm: readonly string[];
  readonly snomed: readonly string[];
  readonly rxnorm: readonly string[];
  readonly loinc: readonly string[];
  /** Names to match by: code.text and the codings' displays, lower case. */
  readonly names: readonly string[];
  /** Condition: the nlp-assertion extension (`affirmed` when absent). */
  readonly assertion?: string;
  /** MedicationStatement.status. */
  readonly status?: string;
  /** Observation value, unit, comparator (and the high end of a valueRange). */
  readonly value?: number;
  readonly valueHigh?: number;
  readonly unit?: string;
  readonly comparator?: string;
  /** FamilyMemberHistory: the relationship's display (e.g. "mother") and code (e.g. "MTH"). */
  readonly relative?: string;
  readonly spans: readonly WrittenSpan[];
}

/**
 * Lists the scored items a Bundle writes (resources of other types — Provenance, Device, AuditEvent — are not
 * findings; entries with a DELETE request are not written).
 * @param bundle - the transaction Bundle.
 * @returns the items, in Bundle order.
 */
export function toWrittenItems(bundle: Bundle): WrittenItem[] {
  const out: WrittenItem[] = [];
  (bundle.entry ?? []).forEach((entry, resourceIndex) => {
    const r = entry.resource as (Resource & Record<string, unknown>) | undefined;
    if (!r || entry.request?.method === 'DELETE') return;
    const spans = spansOf(r.extension as Extension[] | undefined);
    switch (r.resourceType) {
      case 'Condition': {
        const assertion = (r.extension as Extension[] | undefined)?.find((e) => e.url === ASSERTION_EXTENSION_URL)?.valueCode ?? 'affirmed';
        out.push({ ...fromConcept(r.code as CodeableConcept | undefined), resourceType: 'Condition', resourceIndex, assertion, spans });
        break;
      }
      case 'Procedure':
        out.push({ ...fromConcept(r.code as CodeableConcept | undefined), resourceType: 'Procedure', resourceIndex, spans });
        break;
      case 'MedicationStatement':
        out.push({
          ...fromConcept(r.medicationCodeableConcept as CodeableConcept | undefined),
          resourceType: 'MedicationStatement',
          resourceIndex,
          status: String(r.status ?? ''),
          spans,
        });
        break;
      case 'AllergyIntolerance':
        out.push({ ...fromConcept(r.code as CodeableConcept | undefined), resourceType: 'AllergyIntolerance', resourceIndex, spans });
        break;
      case 'FamilyMemberHistory': {
        const rel = r.relationship as CodeableConcept | undefined;
        const relative = (rel?.coding?.[0]?.display ?? rel?.text ?? rel?.coding?.[0]?.code ?? '').toLowerCase();
        for (const c of (r.condition as { code?: CodeableConcept }[] | undefined) ?? []) {
          out.push({ ...fromConcept(c.code), resourceType: 'FamilyMemberHistory', resourceIndex, relative, spans });
        }
        break;
      }
      case 'Observation': {
        const components = (r.component as { code?: CodeableConcept; valueQuantity?: Quantity }[] | undefined) ?? [];
        const valued = components.filter((c) => c.valueQuantity?.value !== undefined);
        if (valued.length > 0) {
          for (const c of valued) out.push({ ...fromConcept(c.code), ...fromQuantity(c.valueQuantity), resourceType: 'Observation', resourceIndex, spans });
        }
        if (valued.length === 0 || (r.valueQuantity as Quantity | undefined)?.value !== undefined) {
          const range = r.valueRange as { low?: Quantity; high?: Quantity } | undefined;
          const value = range
            ? { ...fromQuantity(range.low ?? range.high), ...(range.high?.value !== undefined ? { valueHigh: range.high.value } : {}) }
            : fromQuantity(r.valueQuantity as Quantity | undefined);
          out.push({ ...fromConcept(r.code as CodeableConcept | undefined), ...value, resourceType: 'Observation', resourceIndex, spans });
        }
        break;
      }
      default:
        break;
    }
  });
  return out;
}

/**
 * Text of the note behind an item: its derivation-reference spans joined with " … ".
 * @param item - the item.
 * @param text - the note text.
 * @returns the span text, whitespace collapsed; empty when the resource has no span.
 */
export function spanText(item: WrittenItem, text: string): string {
  return item.spans.map((s) => text.slice(s.start, s.end).replace(/\s+/g, ' ').trim()).join(' … ');
}

function fromConcept(cc: CodeableConcept | undefined): Pick<WrittenItem, 'name' | 'icd10cm' | 'snomed' | 'rxnorm' | 'loinc' | 'names'> {
  const codings = cc?.coding ?? [];
  const of = (system: string): string[] => codings.filter((c) => c.system === system && c.code).map((c) => String(c.code));
  const names = [cc?.text, ...codings.map((c) => c.display)].filter((n): n is string => typeof n === 'string' && n !== '');
  return {
    name: cc?.text ?? codings[0]?.display ?? codings[0]?.code ?? '',
    icd10cm: of(ICD10CM).map(normalizeIcd),
    snomed: of(SNOMED),
    rxnorm: of(RXNORM),
    loinc: of(LOINC),
    names: [...new Set(names.map((n) => n.toLowerCase()))],
  };
}

function fromQuantity(q: Quantity | undefined): Pick<WrittenItem, 'value' | 'unit' | 'comparator'> {
  if (!q || q.value === undefined) return {};
  return { value: q.value, ...(q.code ?? q.unit ? { unit: q.code ?? q.unit } : {}), ...(q.comparator ? { comparator: q.comparator } : {}) };
}

function spansOf(extensions: readonly Extension[] | undefined): WrittenSpan[] {
  const out: WrittenSpan[] = [];
  for (const e of extensions ?? []) {
    if (e.url !== DERIVATION_REFERENCE_URL) continue;
    const offset = e.extension?.find((x) => x.url === 'offset')?.valueInteger;
    const length = e.extension?.find((x) => x.url === 'length')?.valueInteger;
    if (offset !== undefined && length !== undefined) out.push({ start: offset, end: offset + length });
  }
  return out;
}

/**
 * ICD-10-CM codes compare without the dot, upper case (`E11.9` = `E119`).
 * @param code - a code.
 * @returns the normalized code.
 */
export function normalizeIcd(code: string): string {
  return code.replace(/\./g, '').toUpperCase().trim();
}
