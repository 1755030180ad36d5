/**
 * Profiles of the Observations Chartmine derives: vital signs (on FHIR's `vitalsigns`), laboratory results, and other
 * measures (scores, imaging, procedures).
 */
import { PROFILES } from '../naming.js';
import { ASSERTION, findingContract, linksToNote } from './finding-contract.js';
import { el, invariant, type ProfileSource } from './profile-source.js';
import type { DiffElement } from './snapshot.js';

const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

/**
 * The unit codes FHIR R4's specific vital-sign profiles allow, by LOINC code. `@medplum/core` does not check the
 * `valueQuantity` slices that carry them, so the vital-signs profile repeats them as an invariant.
 */
const VITAL_UNITS: readonly [string, readonly string[]][] = [
  ['8867-4', ['/min']],
  ['9279-1', ['/min']],
  ['8310-5', ['Cel', '[degF]']],
  ['2708-6', ['%']],
  ['29463-7', ['kg', 'g', '[lb_av]']],
  ['8302-2', ['cm', '[in_i]']],
  ['39156-5', ['kg/m2']],
];

/** FHIRPath: a CodeableConcept at `path` has this LOINC code. */
const loinc = (path: string, code: string): string => `${path}.coding.where(system='http://loinc.org' and code='${code}').exists()`;

/** Observation parts both Observation profiles share. */
function observationCommon(profile: string): DiffElement[] {
  return [
    ...findingContract('Observation', profile),
    el('Observation', {
      constraint: [
        invariant('cm-obs-1', 'Only measurements the note reports (affirmed)', `${ASSERTION} = 'affirmed'`),
        invariant('cm-obs-2', 'A time precise to the day', "(effective as dateTime).toString().length() >= 10"),
        invariant('cm-obs-3', 'derivedFrom points at the note', linksToNote('derivedFrom')),
        invariant(
          'cm-obs-4',
          'Quantities are UCUM-coded',
          "(value as Quantity).empty() or ((value as Quantity).system = 'http://unitsofmeasure.org' and (value as Quantity).code.exists())"
        ),
        invariant(
          'cm-obs-5',
          'A range ("LVEF 30-35%") has both ends, UCUM-coded in the same unit, low below high',
          "(value as Range).empty() or ((value as Range).low.system = 'http://unitsofmeasure.org' and " +
            "(value as Range).high.system = 'http://unitsofmeasure.org' and (value as Range).low.code = (value as Range).high.code and " +
            '(value as Range).low.value < (value as Range).high.value)'
        ),
      ],
    }),
    el('Observation.derivedFrom', { min: 1, mustSupport: true }),
  ];
}

export const VITAL_SIGNS_PROFILE: ProfileSource = {
  id: 'chartmine-observation-vital-signs',
  name: 'ChartmineObservationVitalSigns',
  title: 'Chartmine NLP-derived vital sign',
  description:
    'A vital sign stated in the note. Derived from FHIR R4\'s vitalsigns profile; each resource also claims the specific ' +
    'R4 vital-sign profile for its LOINC code (bp, heartrate, resprate, bodytemp, oxygensat, bodyweight, bodyheight, bmi). ' +
    'Blood pressure is the 85354-9 panel with systolic (8480-6) and diastolic (8462-4) components.',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/vitalsigns',
  type: 'Observation',
  kind: 'resource',
  elements: [
    ...observationCommon(PROFILES.vitalSigns),
    el('Observation', {
      constraint: [
        invariant(
          'cm-vs-bp',
          'Blood pressure (85354-9) as FHIR\'s bp profile has it: no value, one systolic (8480-6) and one diastolic (8462-4) component in mm[Hg]',
          `${loinc('code', '85354-9')} implies (value.empty() and ` +
            `component.where(${loinc('code', '8480-6')}).count() = 1 and component.where(${loinc('code', '8462-4')}).count() = 1 and ` +
            "component.all((value as Quantity).system = 'http://unitsofmeasure.org' and (value as Quantity).code = 'mm[Hg]'))"
        ),
        invariant(
          'cm-vs-units',
          'Units as FHIR\'s vital-sign profiles bind them (heartrate, resprate, bodytemp, oxygensat, bodyweight, bodyheight, bmi)',
          VITAL_UNITS.map(([code, units]) => `(${loinc('code', code)} implies (value as Quantity).code in (${units.map((u) => `'${u}'`).join(' | ')}))`).join(
            ' and '
          )
        ),
      ],
    }),
  ],
};

export const LABORATORY_PROFILE: ProfileSource = {
  id: 'chartmine-observation-lab',
  name: 'ChartmineObservationLab',
  title: 'Chartmine NLP-derived laboratory result',
  description:
    'A laboratory result stated in the note, LOINC-coded, with its value in UCUM (and the comparator when written, ' +
    'e.g. "troponin <0.01"). Aligned with US Core Laboratory Result Observation (category laboratory, code, subject, ' +
    'effective time, value or data-absent reason).',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
  type: 'Observation',
  kind: 'resource',
  elements: [
    ...observationCommon(PROFILES.laboratory),
    el('Observation', {
      constraint: [
        invariant(
          'cm-lab-1',
          'A value, components or a data-absent reason (US Core us-core-2)',
          'component.exists() or hasMember.exists() or value.exists() or dataAbsentReason.exists()'
        ),
        invariant('cm-lab-2', 'LOINC-coded', "code.coding.where(system='http://loinc.org').exists()"),
      ],
    }),
    el('Observation.status', { mustSupport: true }),
    el('Observation.category', {
      min: 1,
      mustSupport: true,
      slicing: {
        discriminator: [
          { type: 'value', path: 'coding.code' },
          { type: 'value', path: 'coding.system' },
        ],
        ordered: false,
        rules: 'open',
      },
    }),
    el('Observation.category:Laboratory', { min: 1, max: '1', mustSupport: true }),
    el('Observation.category:Laboratory.coding', { min: 1, mustSupport: true }),
    el('Observation.category:Laboratory.coding.system', { min: 1, fixedUri: OBSERVATION_CATEGORY }),
    el('Observation.category:Laboratory.coding.code', { min: 1, fixedCode: 'laboratory' }),
    ...quantityOrRangeObservationTail(),
  ],
};

/** Code, patient subject, effective time and a Quantity or Range value: the lab and measure profiles alike. */
function quantityOrRangeObservationTail(): DiffElement[] {
  return [
    el('Observation.code', { mustSupport: true }),
    el('Observation.subject', {
      min: 1,
      mustSupport: true,
      type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'] }],
    }),
    el('Observation.effective[x]', { min: 1, mustSupport: true, type: [{ code: 'dateTime' }, { code: 'Period' }] }),
    el('Observation.value[x]', { mustSupport: true, type: [{ code: 'Quantity' }, { code: 'Range' }] }),
  ];
}

/** The categories of the measure profile (FHIR observation-category codes). */
export const MEASURE_CATEGORIES = ['survey', 'imaging', 'procedure'] as const;

export const MEASURE_PROFILE: ProfileSource = {
  id: 'chartmine-observation-measure',
  name: 'ChartmineObservationMeasure',
  title: 'Chartmine NLP-derived scored, imaging or procedure measurement',
  description:
    'A numeric measure stated in the note that is neither a vital sign nor a laboratory result: a score (pain 0-10, ' +
    'PHQ-9, GAD-7, NIHSS; category survey), an imaging measurement (LVEF; category imaging) or a procedure result ' +
    '(spirometry, DLCO, AHI, six-minute walk; category procedure). LOINC-coded, with its value as a UCUM Quantity, or a ' +
    'Range when the note gives one ("LVEF 30-35%").',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
  type: 'Observation',
  kind: 'resource',
  elements: [
    ...observationCommon(PROFILES.measure),
    el('Observation', {
      constraint: [
        invariant('cm-msr-1', 'A value or components', 'component.exists() or value.exists()'),
        invariant('cm-msr-2', 'LOINC-coded', "code.coding.where(system='http://loinc.org').exists()"),
        invariant(
          'cm-msr-3',
          'Category survey, imaging or procedure',
          `category.coding.where(system='${OBSERVATION_CATEGORY}' and (${MEASURE_CATEGORIES.map((c) => `code='${c}'`).join(' or ')})).exists()`
        ),
      ],
    }),
    el('Observation.category', { min: 1, mustSupport: true }),
    ...quantityOrRangeObservationTail(),
  ],
};
