/**
 * Generated synonyms: the everyday wording clinicians use for the formal names in ICD-10-CM and SNOMED CT, derived
 * by rules from the names themselves (not from a hand list of cases). Pure.
 *
 * - Neoplasms: "Malignant neoplasm/tumor of X" (and "Primary malignant neoplasm of X") → "X cancer", "cancer of X",
 *   "carcinoma of X", "X carcinoma", "X malignancy", "malignancy of X", "X CA", "CA of X", plus the organ's adjective
 *   ("pancreatic cancer", "ovarian cancer"); "Secondary malignant neoplasm of X" → "metastasis to X", "X metastases",
 *   "metastatic disease to X". "bronchus or lung" gives "lung" (and "bronchus"); "female breast" gives "breast".
 * - Qualifiers a note leaves out: "unspecified", "unspecified part/site of", ", not elsewhere classified",
 *   "without complications", "without hepatic coma", "Nonrheumatic", ", initial encounter" (subsequent encounters and
 *   sequelae get no variant: a note naming the injury means the injury itself).
 * - Parenthesised words both kept and dropped: "Nonrheumatic aortic (valve) stenosis" → "aortic valve stenosis",
 *   "aortic stenosis".
 * - Heart valves: "mitral valve regurgitation" → "mitral regurgitation" (aortic, mitral, tricuspid, pulmonary).
 */

/** Adjectives notes use for an organ's cancer ("pancreatic cancer"). */
const ORGAN_ADJECTIVES: Readonly<Record<string, readonly string[]>> = {
  pancreas: ['pancreatic'],
  stomach: ['gastric'],
  ovary: ['ovarian'],
  'cervix uteri': ['cervical', 'cervix'],
  endometrium: ['endometrial', 'uterine'],
  'corpus uteri': ['endometrial', 'uterine'],
  uterus: ['uterine'],
  esophagus: ['esophageal'],
  rectum: ['rectal'],
  kidney: ['renal', 'kidney'],
  'thyroid gland': ['thyroid'],
  testis: ['testicular'],
  larynx: ['laryngeal'],
  liver: ['hepatic', 'liver'],
  'bladder': ['bladder'],
  'colon': ['colon', 'colonic'],
  'prostate': ['prostate', 'prostatic'],
  'bronchus or lung': ['lung'],
  'lung': ['lung', 'pulmonary'],
  'female breast': ['breast'],
  'breast': ['breast'],
  'brain': ['brain'],
  'skin': ['skin'],
  'rectosigmoid junction': ['rectosigmoid'],
  'oropharynx': ['oropharyngeal'],
  'nasopharynx': ['nasopharyngeal'],
  'gallbladder': ['gallbladder'],
  'anus': ['anal'],
  'vulva': ['vulvar'],
  'penis': ['penile'],
  'tongue': ['tongue'],
};

/** Words for a primary cancer, as "<site> <word>" and "<word> of <site>". */
const CANCER_WORDS = ['cancer', 'carcinoma', 'malignancy', 'ca', 'malignant neoplasm', 'malignant tumor'] as const;

/**
 * Removes the qualifiers a note leaves out.
 * @param text - a name.
 * @returns the name without them (may equal the input).
 */
export function dropUnstatedQualifiers(text: string): string {
  return text
    .replace(/\s*,?\s*not elsewhere classified\b/gi, '')
    .replace(/\s*,?\s*without (?:complications?|hepatic coma|mention of [a-z ]+|behavioral disturbance|hematuria|perforation or abscess|bleeding|obstruction)\b/gi, '')
    .replace(/\s*,\s*initial encounter(?: for closed fracture)?$/i, '')
    .replace(/\bunspecified (?:part|site|parts|sites|region) of\s+/gi, '')
    // ", unspecified ear" names a side placeholder: the whole phrase goes ("Otitis media, unspecified, unspecified ear")
    .replace(/,\s*unspecified (?:ear|eye|side|limb|lower leg|upper arm|hand|foot|knee|hip|shoulder|elbow|wrist|ankle|leg|arm|kidney|lung|breast|eyelid|orbit)s?$/i, '')
    .replace(/,?\s*\bunspecified\b\s*/gi, ' ')
    .replace(/^nonrheumatic\s+/i, '')
    .replace(/\s+\(disorder\)|\s+\(finding\)$/i, '')
    .replace(/\s+,/g, ',')
    .replace(/\s{2,}/g, ' ')
    .replace(/^[\s,]+|[\s,]+$/g, '');
}

/** Both readings of parenthesised words: kept ("aortic valve stenosis") and dropped ("aortic stenosis"). */
function parentheses(text: string): string[] {
  if (!/\(/.test(text)) return [text];
  const kept = text.replace(/[()]/g, '').replace(/\s{2,}/g, ' ').trim();
  const dropped = text.replace(/\s*\([^)]*\)/g, '').replace(/\s{2,}/g, ' ').trim();
  return [kept, dropped];
}

/** "X or Y" (a site named two ways, "bronchus or lung") gives each. */
function sitesOf(site: string): string[] {
  const out = new Set<string>([site]);
  const or = site.includes(',') ? null : /^(\w+) or (\w+)$/.exec(site);
  if (or) {
    out.add(or[1]);
    out.add(or[2]);
  }
  // "liver and intrahepatic bile duct": the organ notes name is the first
  const and = /^(\w+) and .+$/.exec(site);
  if (and) out.add(and[1]);
  const female = /^female (.+)$/.exec(site);
  if (female) out.add(female[1]);
  return [...out];
}

/** Cancer wording for a primary site. */
function cancerVariants(site: string): string[] {
  const out: string[] = [];
  for (const s of sitesOf(site)) {
    for (const w of CANCER_WORDS) out.push(`${s} ${w}`, `${w} of ${s}`, `${w} of the ${s}`);
    for (const adj of ORGAN_ADJECTIVES[s] ?? []) out.push(`${adj} cancer`, `${adj} carcinoma`, `${adj} malignancy`, `${adj} ca`);
  }
  out.push(...(ORGAN_ADJECTIVES[site] ?? []).flatMap((adj) => [`${adj} cancer`, `${adj} carcinoma`, `${adj} ca`]));
  return out;
}

/** Wording for a metastatic site. */
function metastasisVariants(site: string): string[] {
  return sitesOf(site).flatMap((s) => [
    `metastasis to ${s}`,
    `metastases to ${s}`,
    `${s} metastasis`,
    `${s} metastases`,
    `metastatic disease to ${s}`,
    `metastatic disease of ${s}`,
    `metastatic cancer to ${s}`,
    `${s} mets`,
    `mets to ${s}`,
  ]);
}

/**
 * The generated synonyms of a condition name (an ICD-10-CM description or a SNOMED CT term), not including the name
 * itself. Returns nothing for names a note never means by the plain wording (subsequent encounters, sequelae).
 * @param name - the formal name.
 * @returns distinct variants, lower case.
 */
export function conditionVariants(name: string): string[] {
  const lower = name.toLowerCase().trim();
  if (/subsequent encounter|\bsequela\b/.test(lower)) return [];
  const out = new Set<string>();
  for (const p of parentheses(lower)) {
    const plain = dropUnstatedQualifiers(p);
    for (const v of [p, plain]) {
      if (v === '') continue;
      out.add(v);
      const valve = v.replace(/\b(aortic|mitral|tricuspid|pulmonary|pulmonic) valve (stenosis|regurgitation|insufficiency|prolapse|disease|sclerosis)\b/, '$1 $2');
      out.add(valve);
      // "insufficiency" of a valve is what notes call "regurgitation"
      for (const w of [v, valve]) if (/\b(?:aortic|mitral|tricuspid|pulmonary|pulmonic)\b.*\binsufficiency\b/.test(w)) out.add(w.replace(/\binsufficiency\b/, 'regurgitation'));
      const viral = /^(?:acute |chronic )?viral hepatitis ([a-e])$/.exec(v);
      if (viral) out.add(`hepatitis ${viral[1]}`);
      const primary = /^(?:primary )?malignant (?:neoplasm|tumou?r) of (?:the )?(.+)$/.exec(v);
      if (primary && !/\bsecondary\b/.test(v)) for (const c of cancerVariants(primary[1])) out.add(c);
      const secondary = /^secondary malignant (?:neoplasm|tumou?r) of (?:the )?(.+)$/.exec(v);
      if (secondary) for (const c of metastasisVariants(secondary[1])) out.add(c);
    }
  }
  out.delete(lower);
  return [...out].filter((v) => v.length > 2);
}
