#!/usr/bin/env node
// Writes release-sized SYNTHETIC files in the official formats (no licensed content): a SNOMED CT RF2 snapshot
// (concepts, descriptions, US language refset), RxNorm RXNCONSO.RRF + RXNREL.RRF and a LOINC Loinc.csv, to measure
// `chartmine terminology import` memory and time, and the imported index's load time.
// Usage: node models/terminology/tools/make-synthetic-release.mjs OUT_DIR [scale=1]
// scale 1 ≈ SNOMED CT International (370k concepts, 1.6M descriptions), RxNorm (~400k RXNORM atoms), LOINC (100k).
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';

const out = process.argv[2];
const scale = Number(process.argv[3] ?? '1');
if (!out) throw new Error('usage: make-synthetic-release.mjs OUT_DIR [scale]');
let seed = 42;
// mulberry32: a small deterministic PRNG with a long period.
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const syll = ['ab', 'cor', 'di', 'en', 'fa', 'gli', 'hy', 'ix', 'ju', 'ka', 'lo', 'me', 'no', 'pra', 'qui', 'ro', 'sta', 'tu', 'vi', 'xe', 'yo', 'zy'];
const vocab = Array.from({ length: 40000 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => syll[Math.floor(rand() * syll.length)]).join(''));
const phrase = (min, max) => Array.from({ length: min + Math.floor(rand() * (max - min + 1)) }, () => vocab[Math.floor(rand() * vocab.length)]).join(' ');
async function writeFile(path, header, rows) {
  const s = createWriteStream(path);
  if (header) s.write(`${header}\r\n`);
  for (const r of rows) if (!s.write(`${r}\r\n`)) await once(s, 'drain');
  s.end();
  await once(s, 'close');
}
const tags = ['disorder', 'finding', 'procedure', 'body structure', 'organism', 'substance', 'observable entity', 'qualifier value'];
const sct = join(out, 'snomed', 'Snapshot');
mkdirSync(join(sct, 'Terminology'), { recursive: true });
mkdirSync(join(sct, 'Refset', 'Language'), { recursive: true });
const nConcepts = Math.round(370000 * scale);
const concepts = function* () { for (let i = 0; i < nConcepts; i++) yield `${100000 + i}\t20240101\t${i % 20 ? 1 : 0}\t900000000000207008\t900000000000074008`; };
await writeFile(join(sct, 'Terminology', 'sct2_Concept_Snapshot_INT_20240101.txt'), 'id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId', concepts());
let did = 0;
const descs = [];
const descriptions = function* () {
  for (let i = 0; i < nConcepts; i++) {
    const base = phrase(2, 7);
    const n = 2 + Math.floor(rand() * 4);
    for (let k = 0; k < n; k++) {
      const id = `${5000000 + did++}`;
      const fsn = k === 0;
      descs.push(id);
      yield [id, '20240101', '1', '900000000000207008', `${100000 + i}`, 'en', fsn ? '900000000000003001' : '900000000000013009', fsn ? `${base} (${tags[i % tags.length]})` : k === 1 ? base : phrase(2, 8), '900000000000448009'].join('\t');
    }
  }
};
await writeFile(join(sct, 'Terminology', 'sct2_Description_Snapshot-en_INT_20240101.txt'), 'id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId', descriptions());
const lang = function* () { let j = 0; for (const id of descs) yield [`l${j++}`, '20240101', '1', '900000000000207008', '900000000000509007', id, j % 3 === 1 ? '900000000000548007' : '900000000000549004'].join('\t'); };
await writeFile(join(sct, 'Refset', 'Language', 'der2_cRefset_LanguageSnapshot-en_INT_20240101.txt'), 'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId', lang());
descs.length = 0;
mkdirSync(join(out, 'rxnorm', 'rrf'), { recursive: true });
const nIn = Math.round(15000 * scale);
const nDrug = Math.round(120000 * scale);
const conso = function* () {
  for (let i = 0; i < nIn; i++) yield `${i + 1}|ENG||||||A${i}||||RXNORM|IN|${i + 1}|${phrase(1, 2)}||N|4096|`;
  for (let i = 0; i < nDrug; i++) {
    const cui = 1000000 + i;
    yield `${cui}|ENG||||||B${i}||||RXNORM|${i % 4 ? 'SCD' : 'SBD'}|${cui}|${phrase(1, 2)} ${1 + (i % 500)} MG Oral Tablet||N|4096|`;
    yield `${cui}|ENG||||||C${i}||||RXNORM|SY|${cui}|${phrase(2, 4)}||N|4096|`;
    yield `${cui}|ENG||||||D${i}||||MTHSPL|SU|X${i}|${phrase(2, 4)}||N|4096|`;
  }
};
await writeFile(join(out, 'rxnorm', 'rrf', 'RXNCONSO.RRF'), '', conso());
const rel = function* () {
  for (let i = 0; i < nDrug; i++) {
    const ing = 1 + (i % nIn);
    yield `${1000000 + i}||CUI|RO|${ing}||CUI|has_ingredient|R${i}||RXNORM|RXNORM||||`;
    yield `${ing}||CUI|RO|${1000000 + i}||CUI|ingredient_of|Q${i}||RXNORM|RXNORM||||`;
  }
};
await writeFile(join(out, 'rxnorm', 'rrf', 'RXNREL.RRF'), '', rel());
mkdirSync(join(out, 'loinc', 'LoincTable'), { recursive: true });
const nLoinc = Math.round(100000 * scale);
const loinc = function* () {
  for (let i = 0; i < nLoinc; i++) {
    yield [`${10000 + i}-${i % 10}`, phrase(1, 3), 'MCnc', 'Pt', 'Ser/Plas', 'Qn', '', 'CHEM', '', '', '', 'ACTIVE', phrase(2, 4), '1', '', '', '', '', '', '', phrase(2, 3), '', '', '', '', `${phrase(3, 8)} [Mass/volume] in Serum or Plasma`, '', '', '', '', String(i % 3000), '', '', '', '', '', '', '', '', phrase(3, 6)].map((f) => `"${f}"`).join(',');
  }
};
await writeFile(join(out, 'loinc', 'LoincTable', 'Loinc.csv'), '"LOINC_NUM","COMPONENT","PROPERTY","TIME_ASPCT","SYSTEM","SCALE_TYP","METHOD_TYP","CLASS","VersionLastChanged","CHNG_TYPE","DefinitionDescription","STATUS","CONSUMER_NAME","CLASSTYPE","FORMULA","EXMPL_ANSWERS","SURVEY_QUEST_TEXT","SURVEY_QUEST_SRC","UNITSREQUIRED","RELATEDNAMES2","SHORTNAME","ORDER_OBS","HL7_FIELD_SUBFIELD_ID","EXTERNAL_COPYRIGHT_NOTICE","EXAMPLE_UNITS","LONG_COMMON_NAME","EXAMPLE_UCUM_UNITS","STATUS_REASON","STATUS_TEXT","CHANGE_REASON_PUBLIC","COMMON_TEST_RANK","COMMON_ORDER_RANK","HL7_ATTACHMENT_STRUCTURE","EXTERNAL_COPYRIGHT_LINK","PanelType","AskAtOrderEntry","AssociatedObservations","VersionFirstReleased","ValidHL7AttachmentRequest","DisplayName"', loinc());
console.log(`wrote synthetic release (scale ${scale}) to ${out}`);
