"""Chartmine NER recipe, one command: vocabulary -> weak labels -> MLM pre-training -> fine-tuning -> ONNX export.

  /usr/bin/python3 models/ner/train.py [--preset default|shipped] [--data DIR] [--out models/chartmine-ner]

`default` trains on 2 CPU cores in under an hour (1,000 MLM steps); `shipped` is the longer setting that produced
the committed model (8,000 MLM steps, several hours on 2 cores). Every step writes to --work (models/ner/work) and
is skipped when its output is already there, so an interrupted run continues (MLM resumes from its checkpoint).
Needs Debian's python3-torch, python3-onnx and libopenblas0-openmp; only training/devel splits are read.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import DEFAULT_DATA, DEFAULT_WORK, REPO, check_onnx, check_torch, data_path  # noqa: E402

PRESETS = {
    # 1,000 MLM steps x 64 x 128 tokens (about 27 min on 2 free cores), then fine-tuning.
    'default': {'mlm_steps': 1000, 'mlm_warmup': 100, 'mlm_dir': 'mlm-default'},
    # The shipped model: 8,000 MLM steps (about 4-5 h on 2 shared cores).
    'shipped': {'mlm_steps': 8000, 'mlm_warmup': 500, 'mlm_dir': 'mlm-long'},
}
FINETUNE = {
    'train': 'bc5cdr-train,bc5cdr-devel,ncbi-train,ncbi-devel,weak-train.jsonl',
    'epochs': 6, 'lr': 1.5e-4, 'batch': 32, 'seed': 7,
}
REQUIRED = [('BC5CDR-IOB', 'train.tsv'), ('BC5CDR-IOB', 'devel.tsv'), ('NCBI-disease-IOB', 'train.tsv'),
            ('NCBI-disease-IOB', 'devel.tsv'), ('mtsamples', 'mtsamples.csv.gz'),
            ('synthea-fhir', 'bulk-10-patients', 'DocumentReference.000.ndjson'),
            ('synthea-module-codes', 'synthea_module_codes.tsv'),
            ('snomed-ct-ips-free-set', 'snomed_ct_ips_free_set_valuesets.tsv'), ('disease-ontology', 'HumanDO.tsv'),
            ('disease-ontology', 'disease-symptom.tsv'), ('druglib-reviews', 'drugLibTrain_raw.tsv')]


def step(name, args, done_path=None):
    if done_path and os.path.exists(done_path):
        print('== %s: already done (%s)' % (name, os.path.relpath(done_path, REPO)), flush=True)
        return
    print('== %s: %s' % (name, ' '.join(args)), flush=True)
    t = time.time()
    subprocess.run([sys.executable, os.path.join(HERE, args[0])] + args[1:], check=True)
    print('== %s: %.1f min' % (name, (time.time() - t) / 60), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--preset', choices=sorted(PRESETS), default='default')
    ap.add_argument('--data', default=DEFAULT_DATA, help='shared data folder (default ../shared/data)')
    ap.add_argument('--work', default=DEFAULT_WORK)
    ap.add_argument('--out', default=None, help='model folder to write (default WORK/export-PRESET)')
    ap.add_argument('--name', default='chartmine-ner')
    ap.add_argument('--version', default='0.0.0-dev')
    ap.add_argument('--epochs', type=int, default=FINETUNE['epochs'])
    args = ap.parse_args()
    check_torch()
    check_onnx()
    for parts in REQUIRED:
        data_path(args.data, *parts)
    p = PRESETS[args.preset]
    w = args.work
    out = args.out or os.path.join(w, 'export-' + args.preset)
    t0 = time.time()
    common = ['--data', args.data, '--work', w]
    step('vocabulary + pre-training corpus', ['prepare.py'] + common, os.path.join(w, 'pretrain.pt'))
    step('weak labels', ['weak.py'] + common, os.path.join(w, 'weak-train.jsonl'))
    mlm = os.path.join(w, p['mlm_dir'])
    step('MLM pre-training', ['pretrain.py', '--work', w, '--out', mlm, '--steps', str(p['mlm_steps']),
                              '--warmup', str(p['mlm_warmup']), '--bf16', '--resume'],
         os.path.join(mlm, 'mlm-%d.pt' % p['mlm_steps']))
    ft = os.path.join(w, 'ner-%s.pt' % args.preset)
    step('fine-tuning', ['finetune.py'] + common + [
        '--init', os.path.join(mlm, 'mlm-%d.pt' % p['mlm_steps']), '--train', FINETUNE['train'],
        '--epochs', str(args.epochs), '--lr', str(FINETUNE['lr']), '--batch', str(FINETUNE['batch']),
        '--seed', str(FINETUNE['seed']), '--eval', '', '--bf16', '--out', ft], ft)
    step('export', ['export.py', '--work', w, '--ckpt', ft, '--out', out, '--name', args.name,
                    '--version', args.version])
    print('done in %.1f min: %s' % ((time.time() - t0) / 60, os.path.relpath(out, REPO)), flush=True)


if __name__ == '__main__':
    main()
