"""Weak supervision for clinical style: label sentences of the MTSamples training split and of the Synthea
development patients with a longest-match dictionary built from terminology lists (training data only).

PROBLEM: Synthea SNOMED CT conditions, the SNOMED CT IPS problem set, Disease Ontology labels, Symptom Ontology
labels, BC5CDR/NCBI *training* Disease mentions. DRUG: ingredient names from Synthea RxNorm displays, BC5CDR
*training* Chemical mentions, Druglib *training* drug names. TEST: vital signs and common labs (LOINC Top 2000
components plus a short list of abbreviations). A stop list drops ambiguous words ("cold", "lead", "MS", "PT").

Writes WORK/weak-train.jsonl: {"text", "entities": [[start, end, TYPE]], "source"}.
"""
import argparse
import csv
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (DEFAULT_DATA, DEFAULT_WORK, clean_mtsamples, data_path, iob_to_text, mtsamples_train,  # noqa
                    read_iob, split_sentences, split_words, synthea_notes)

# Words that are terms in some list but mostly mean something else in notes (or are too short to trust).
STOP = set('''cold lead ms pt fall falls stress all cad arm ca as at be can has in is it of on or per pain free
normal other others well rest stroke? mass masses may tic ace mg ml iv po so up use total dose age sex aids
cell cells tone tumor? fit fits foot hand head heart liver lung eye skin back chest neck block drug drugs
disease diseases disorder disorders syndrome injury lesion lesions infection? abnormality finding findings
a an the and to no not with for by from this that was were are been sign signs symptom symptoms
control pressure rate level levels test tests study culture screen panel count'''.split())
STOP.discard('stroke?')
STOP.discard('tumor?')
STOP.discard('infection?')

VITALS = ['blood pressure', 'bp', 'systolic blood pressure', 'diastolic blood pressure', 'heart rate', 'hr', 'pulse',
          'pulse rate', 'respiratory rate', 'respirations', 'rr', 'temperature', 'temp', 'oxygen saturation',
          'o2 saturation', 'o2 sat', 'o2 sats', 'spo2', 'sao2', 'pulse oximetry', 'pulse ox', 'weight', 'height',
          'bmi', 'body mass index', 'vital signs', 'vitals', 'head circumference', 'pain score']
LABS = ['wbc', 'white blood cell count', 'white count', 'rbc', 'hemoglobin', 'hgb', 'hematocrit', 'hct', 'platelets',
        'platelet count', 'plt', 'mcv', 'sodium', 'potassium', 'chloride', 'bicarbonate', 'co2', 'bun',
        'blood urea nitrogen', 'creatinine', 'glucose', 'blood sugar', 'blood glucose', 'calcium', 'magnesium',
        'phosphorus', 'hemoglobin a1c', 'hba1c', 'a1c', 'inr', 'ptt', 'pt/inr', 'prothrombin time', 'alt', 'ast',
        'sgot', 'sgpt', 'alkaline phosphatase', 'bilirubin', 'total bilirubin', 'albumin', 'total protein', 'tsh',
        'free t4', 'ldl', 'hdl', 'cholesterol', 'total cholesterol', 'triglycerides', 'lipid panel', 'lipid profile',
        'cbc', 'complete blood count', 'bmp', 'cmp', 'basic metabolic panel', 'comprehensive metabolic panel',
        'urinalysis', 'ua', 'urine culture', 'blood cultures', 'blood culture', 'troponin', 'troponins', 'ck',
        'cpk', 'ck-mb', 'bnp', 'lipase', 'amylase', 'psa', 'esr', 'sed rate', 'crp', 'c-reactive protein',
        'lactate', 'lactic acid', 'd-dimer', 'ferritin', 'iron', 'vitamin b12', 'folate', 'uric acid', 'ammonia',
        'arterial blood gas', 'abg', 'ph', 'pco2', 'po2', 'anion gap', 'gfr', 'egfr', 'hcg', 'beta hcg',
        'urine drug screen', 'liver function tests', 'lfts', 'electrolytes', 'cardiac enzymes', 'coags',
        'white blood cells', 'red blood cells', 'neutrophils', 'lymphocytes', 'eosinophils', 'monocytes']
# Labs also in the drug lists: a lab context word wins only through the TEST list's order of lookup below.
TEST_OVER_DRUG = {'glucose', 'potassium', 'sodium', 'calcium', 'magnesium', 'iron', 'albumin', 'cholesterol',
                  'bicarbonate', 'chloride', 'phosphorus', 'folate', 'ferritin', 'creatinine', 'lactate', 'co2'}


def norm_key(s):
    return tuple(s.lower()[a:b] for a, b in split_words(s))


def clean_display(d):
    d = re.sub(r'\s*\((disorder|finding|situation|morphologic abnormality|procedure|substance|event|'
               r'observable entity|qualifier value|body structure)\)\s*$', '', d.strip())
    return d.strip()


def drug_name_from_rxnorm(display):
    """'24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet' -> ['metformin hydrochloride', ...]."""
    out = []
    for m in re.finditer(r'\[([^\]]+)\]', display):
        out.append(m.group(1))
    d = re.sub(r'\[[^\]]*\]', '', display)
    d = re.sub(r'^\s*[\d.]+\s*(HR|ML|MG|ACTUAT)\s+', '', d, flags=re.I)
    for part in d.split(' / '):
        m = re.match(r'\s*([A-Za-z][A-Za-z \-,]*?)\s+[\d.]+\s*(MG|ML|UNT|MCG|%|MEQ|G)\b', part)
        if m:
            out.append(m.group(1))
    return out


def build_dictionary(data_dir):
    terms = {}  # key (tuple of lower words) -> type

    def add(s, t, override=False):
        s = s.strip()
        if len(s) < 3 and t != 'TEST':
            return
        key = norm_key(s)
        if not key or len(key) > 8:
            return
        if len(key) == 1 and key[0] in STOP:
            return
        if ' '.join(key) in STOP:
            return
        if key not in terms or override:
            terms[key] = t

    p = data_path(data_dir, 'synthea-module-codes', 'synthea_module_codes.tsv')
    with open(p, encoding='utf-8') as f:
        for r in csv.DictReader(f, delimiter='\t'):
            if r['system'] == 'SNOMED-CT' and 'ConditionOnset' in r['state_types']:
                add(clean_display(r['display']), 'PROBLEM')
            elif r['system'] == 'RxNorm':
                for name in drug_name_from_rxnorm(r['display']):
                    add(name, 'DRUG')
    p = data_path(data_dir, 'snomed-ct-ips-free-set', 'snomed_ct_ips_free_set_valuesets.tsv')
    with open(p, encoding='utf-8') as f:
        for r in csv.DictReader(f, delimiter='\t'):
            if r['valueset_id'].startswith('problems'):
                add(clean_display(r['display']), 'PROBLEM')
    p = data_path(data_dir, 'disease-ontology', 'HumanDO.tsv')
    with open(p, encoding='utf-8') as f:
        for r in csv.DictReader(f, delimiter='\t'):
            add(r['label'].strip('"'), 'PROBLEM')
    p = data_path(data_dir, 'disease-ontology', 'disease-symptom.tsv')
    with open(p, encoding='utf-8') as f:
        for r in csv.DictReader(f, delimiter='\t'):
            add(r['symptom_label'], 'PROBLEM')
    for corpus in ('BC5CDR-IOB', 'NCBI-disease-IOB'):
        for toks, tags in read_iob(data_path(data_dir, corpus, 'train.tsv')):
            text, ents = iob_to_text(toks, tags)
            for s, e, t in ents:
                add(text[s:e], t)
    p = data_path(data_dir, 'druglib-reviews', 'drugLibTrain_raw.tsv')
    with open(p, encoding='utf-8', newline='') as f:
        for r in csv.DictReader(f, delimiter='\t'):
            add(r['urlDrugName'].replace('-', ' '), 'DRUG')
            add(r['urlDrugName'], 'DRUG')
    for s in VITALS + LABS:
        add(s, 'TEST', override=True)
    for s in TEST_OVER_DRUG:
        terms[norm_key(s)] = 'TEST'
    return terms


def label_sentence(text, terms, max_len=8):
    words = split_words(text)
    low = [text[a:b].lower() for a, b in words]
    ents, i = [], 0
    while i < len(words):
        hit = None
        for n in range(min(max_len, len(words) - i), 0, -1):
            t = terms.get(tuple(low[i:i + n]))
            if t:
                hit = (n, t)
                break
        if hit:
            n, t = hit
            # a TEST that names a drug-like substance only when followed by a value or in a lab list
            ents.append([words[i][0], words[i + n - 1][1], t])
            i += n
        else:
            i += 1
    return ents


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=DEFAULT_DATA, help='shared data folder (default ../shared/data)')
    ap.add_argument('--work', default=DEFAULT_WORK)
    ap.add_argument('--max-sentences', type=int, default=12000)
    ap.add_argument('--seed', type=int, default=5)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    terms = build_dictionary(args.data)
    by_type = {}
    for t in terms.values():
        by_type[t] = by_type.get(t, 0) + 1
    print('dictionary terms %s' % by_type)
    sents = []
    for note_id, text in mtsamples_train(args.data):
        for s in split_sentences(clean_mtsamples(text)):
            if 3 <= len(split_words(s)) <= 100:
                sents.append(('mtsamples', s))
    seen = set()
    for _pid, text in synthea_notes(args.data):
        for s in split_sentences(text):
            if s not in seen and len(split_words(s)) >= 2:
                seen.add(s)
                sents.append(('synthea', re.sub(r'\s*\((disorder|finding|situation)\)', '', s)))
    rng = random.Random(args.seed)
    rng.shuffle(sents)
    # The same candidates, unlabelled, for labelling with the TypeScript rule pipeline (weak-rules.mjs).
    with open(os.path.join(args.work, 'weak-candidates.jsonl'), 'w', encoding='utf-8') as f:
        for src, s in sents[:4 * args.max_sentences]:
            f.write(json.dumps({'text': s, 'source': 'weak-' + src}) + '\n')
    out, n_ent, n_with = [], {}, 0
    for src, s in sents:
        ents = label_sentence(s, terms)
        # keep every sentence with a match and one in three without: lists, headers and plain prose stay "O"
        if not ents and rng.random() > 0.33:
            continue
        n_with += bool(ents)
        for e in ents:
            n_ent[e[2]] = n_ent.get(e[2], 0) + 1
        out.append({'text': s, 'entities': ents, 'source': 'weak-' + src})
        if len(out) >= args.max_sentences:
            break
    with open(os.path.join(args.work, 'weak-train.jsonl'), 'w', encoding='utf-8') as f:
        for r in out:
            f.write(json.dumps(r) + '\n')
    print('weak sentences %d (%d with entities), entities %s' % (len(out), n_with, n_ent))


if __name__ == '__main__':
    main()
