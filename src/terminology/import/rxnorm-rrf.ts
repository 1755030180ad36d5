/**
 * Imports RxNorm from its RRF files: `RXNCONSO.RRF` (rows with SAB=RXNORM, English, not suppressed) and, when present,
 * `RXNREL.RRF` for clinical drug → ingredient and brand → ingredient links. Relationship direction is read from the
 * term types at both ends (an ingredient is the IN end), so it does not depend on the RELA direction convention.
 *
 * Term types: IN/MIN → medication (ingredient level); PIN (precise ingredient, a salt) → a term of its ingredient;
 * BN (brand) → a term of its ingredient when the brand has exactly one, else its own medication concept;
 * SCD/SBD/GPCK/BPCK → clinical drug with ingredient codings; SY/TMSY/PSN → synonyms of their concept.
 */
import { RXNORM } from '../systems.js';
import type { SemanticGroup } from '../types.js';
import type { IndexBuilder } from '../build/index-builder.js';
import { PRIORITY } from '../build/index-builder.js';
import { POSTING_FLAGS } from '../index-format.js';
import { MissingInputError, readLines } from '../build/read-files.js';
import { findFiles, progressEvery } from './find-files.js';
import { ingredientNames } from '../build/cross-maps.js';
import { termKey } from '../normalize.js';

const CONCEPT_TTYS: Readonly<Record<string, SemanticGroup>> = {
  IN: 'medication',
  MIN: 'medication',
  SCD: 'clinical-drug',
  SBD: 'clinical-drug',
  GPCK: 'clinical-drug',
  BPCK: 'clinical-drug',
};
const SYNONYM_TTYS = new Set(['SY', 'TMSY', 'PSN']);
const SUPPRESSED = new Set(['O', 'Y', 'E']);
/** Term types kept only to follow relations (drug components link drugs to ingredients). */
const LINK_TTYS = new Set(['SCDC', 'SCDF', 'SBDC', 'SBDF']);

/** Options of an RxNorm import. */
export interface RxNormImportOptions {
  readonly dir: string;
  readonly onProgress?: (message: string) => void;
}

/** What an RxNorm import added. */
export interface RxNormImportCounts {
  readonly concepts: number;
  readonly brands: number;
  readonly drugsWithIngredients: number;
}

/**
 * Imports RxNorm into the builder.
 * @param b - the builder.
 * @param options - the RRF folder and a progress callback.
 * @returns counts.
 * @throws MissingInputError when RXNCONSO.RRF is missing.
 */
export async function importRxNormRrf(b: IndexBuilder, options: RxNormImportOptions): Promise<RxNormImportCounts> {
  const say = options.onProgress;
  const [conso] = await findFiles(options.dir, /^RXNCONSO\.RRF$/i);
  if (!conso) throw new MissingInputError(options.dir, 'RxNorm RXNCONSO.RRF');
  const tty = new Map<string, string>();
  const names = new Map<string, string>();
  const synonyms: [string, string][] = [];
  const pins: [string, string][] = [];
  let n = 0;
  const tick = progressEvery('RxNorm RXNCONSO', 200_000, say);
  for await (const line of readLines(conso)) {
    tick(++n);
    // RXCUI|LAT|TS|LUI|STT|SUI|ISPREF|RXAUI|SAUI|SCUI|SDUI|SAB|TTY|CODE|STR|SRL|SUPPRESS|CVF|
    const f = line.split('|');
    if (f[11] !== 'RXNORM' || f[1] !== 'ENG' || SUPPRESSED.has(f[16])) continue;
    const [cui, type, str] = [f[0], f[12], f[14]];
    if (type in CONCEPT_TTYS || type === 'BN') {
      if (!tty.has(cui) || type in CONCEPT_TTYS) {
        tty.set(cui, type);
        names.set(cui, str);
      }
    } else if (type === 'PIN') {
      pins.push([cui, str]);
      tty.set(cui, 'PIN');
    } else if (LINK_TTYS.has(type)) {
      if (!tty.has(cui)) tty.set(cui, type);
    } else if (SYNONYM_TTYS.has(type)) {
      synonyms.push([cui, str]);
    }
  }
  say?.(`RxNorm: ${names.size} concepts of kept term types`);
  const links = await readRelations(options.dir, tty, say);
  /** Ingredients reachable within three links, never passing through another ingredient or brand. */
  const ingredientsOf = (cui: string): Set<string> => {
    const t = tty.get(cui);
    if (t === 'IN' || t === 'MIN') return new Set([cui]);
    const out = new Set<string>();
    const seen = new Set<string>([cui]);
    let frontier = [cui];
    for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const node of frontier) {
        for (const other of links.get(node) ?? []) {
          if (seen.has(other)) continue;
          seen.add(other);
          const ot = tty.get(other);
          if (ot === 'IN') out.add(other);
          else if (ot !== 'BN' && ot !== 'MIN') next.push(other);
        }
      }
      if (out.size > 0) break;
      frontier = next;
    }
    return out;
  };
  let concepts = 0;
  for (const [cui, name] of names) {
    const type = tty.get(cui) ?? '';
    const group = CONCEPT_TTYS[type];
    if (!group) continue;
    b.addConcept({ id: `rx:${cui}`, group, display: name, codings: [{ system: RXNORM, code: cui, display: name }] });
    b.addTerm(`rx:${cui}`, name, { priority: PRIORITY.rxnorm });
    concepts++;
  }
  const ingredientByKey = new Map<string, string>();
  for (const [cui, name] of names) if (tty.get(cui) === 'IN') ingredientByKey.set(termKey(name), cui);
  let drugsWithIngredients = 0;
  for (const [cui, name] of names) {
    if (CONCEPT_TTYS[tty.get(cui) ?? ''] !== 'clinical-drug') continue;
    let ins = ingredientsOf(cui);
    if (ins.size === 0) ins = lexicalIngredients(name, ingredientByKey);
    for (const ing of ins) b.addIngredient(`rx:${cui}`, { system: RXNORM, code: ing, display: names.get(ing) ?? ing });
    if (ins.size > 0) drugsWithIngredients++;
  }
  let brands = 0;
  for (const [cui, name] of names) {
    if (tty.get(cui) !== 'BN') continue;
    const ins = [...ingredientsOf(cui)];
    if (ins.length === 1 && b.has(`rx:${ins[0]}`)) {
      b.addTerm(`rx:${ins[0]}`, name, { priority: PRIORITY.rxnorm, flags: POSTING_FLAGS.noFuzzy });
    } else {
      b.addConcept({ id: `rx:${cui}`, group: 'medication', display: name, codings: [{ system: RXNORM, code: cui, display: name }] });
      b.addTerm(`rx:${cui}`, name, { priority: PRIORITY.rxnorm, flags: POSTING_FLAGS.noFuzzy });
    }
    brands++;
  }
  for (const [cui, str] of pins) {
    const ins = [...ingredientsOf(cui)];
    const target = ins.length === 1 ? ins[0] : lexicalIngredients(str, ingredientByKey).values().next().value;
    if (target && b.has(`rx:${target}`)) b.addTerm(`rx:${target}`, str, { priority: PRIORITY.rxnorm });
  }
  for (const [cui, str] of synonyms) if (b.has(`rx:${cui}`)) b.addTerm(`rx:${cui}`, str, { priority: PRIORITY.rxnorm });
  say?.(`RxNorm: ${concepts} concepts, ${brands} brands, ${drugsWithIngredients} drugs with ingredients`);
  return { concepts, brands, drugsWithIngredients };
}

/** Undirected links between concepts from RXNREL (ingredient, consists-of, tradename and form relations). */
async function readRelations(dir: string, tty: Map<string, string>, say?: (m: string) => void): Promise<Map<string, string[]>> {
  const links = new Map<string, string[]>();
  const [rel] = await findFiles(dir, /^RXNREL\.RRF$/i);
  if (!rel) {
    say?.('RxNorm: no RXNREL.RRF; ingredients are read from drug names');
    return links;
  }
  const wanted = new Set(['has_ingredient', 'ingredient_of', 'consists_of', 'constitutes', 'has_tradename', 'tradename_of', 'form_of', 'has_form', 'has_ingredients', 'ingredients_of', 'has_precise_ingredient', 'precise_ingredient_of']);
  let n = 0;
  const tick = progressEvery('RxNorm RXNREL', 500_000, say);
  for await (const line of readLines(rel)) {
    tick(++n);
    // RXCUI1|RXAUI1|STYPE1|REL|RXCUI2|RXAUI2|STYPE2|RELA|RUI|SRUI|SAB|SL|RG|DIR|SUPPRESS|CVF|
    const f = line.split('|');
    if (f[10] !== 'RXNORM' || !wanted.has(f[7]) || !f[0] || !f[4]) continue;
    const [a, c] = [f[0], f[4]];
    if (!tty.has(a) || !tty.has(c)) continue;
    for (const [x, y] of [[a, c], [c, a]]) {
      const list = links.get(x);
      if (list) list.push(y);
      else links.set(x, [y]);
    }
  }
  return links;
}

function lexicalIngredients(name: string, ingredientByKey: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const part of ingredientNames(name)) {
    const words = termKey(part).split(' ');
    for (let k = words.length; k > 0; k--) {
      const hit = ingredientByKey.get(words.slice(0, k).join(' '));
      if (hit) {
        out.add(hit);
        break;
      }
    }
  }
  return out;
}
