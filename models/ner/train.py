"""Chartmine NER recipe, one command: vocabulary -> weak labels -> MLM pre-training -> fine-tuning -> ONNX export.

  npm run train:ner -- [--preset default|long] [--data DIR] [--out models/chartmine-ner] [--version X.Y.Z]
  (= /usr/bin/python3 models/ner/train.py ...)

`default` trains on 2 CPU cores in under an hour (1,000 MLM steps); `long` continues the default's pre-training to
3,000 steps before the same fine-tuning; `gpu` pre-trains on more text for 16,000 steps on a CUDA device
(`--device cpu` runs the same preset on the CPU, for hours: it checkpoints and resumes). The model card names the
preset that produced the shipped files. Every step writes to --work (models/ner/work) and is skipped when its output
is already there, so an interrupted run continues (MLM resumes from its checkpoint).
Needs Debian's python3-torch, python3-onnx and libopenblas0-openmp; only training/devel splits are read.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import DEFAULT_DATA, DEFAULT_WORK, REPO, check_onnx, check_torch, data_path  # noqa: E402

PRESETS = {
    # 1,000 MLM steps x 64 x 128 tokens (about 27 min on 2 free cores), then fine-tuning.
    'default': {'mlm_steps': 1000, 'mlm_warmup': 100, 'mlm_dir': 'mlm-default'},
    # Longer pre-training: the default run's 1,000 steps continued to 3,000 (a warm restart of the learning-rate
    # schedule from the default checkpoint; about 40 more minutes on 2 cores), then the same fine-tuning.
    'long': {'mlm_steps': 3000, 'mlm_warmup': 100, 'mlm_dir': 'mlm-long', 'continue_from': 'default'},
    # The GPU preset (the `device` tool's H200, or any CUDA card): more unlabeled text (druglib training reviews,
    # clinical-notes-gold dev notes), 16,000 MLM steps x 128 sequences (about 4.5 min on an H200), fine-tuning on the
    # GPU too. Its own work folder, because the vocabulary is learned from the larger corpus.
    'gpu': {'mlm_steps': 16000, 'mlm_warmup': 500, 'mlm_dir': 'mlm-gpu', 'mlm_batch': 128, 'more_text': True,
            'device': 'cuda', 'work': 'gpu'},
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
    ap.add_argument('--device', choices=('cpu', 'cuda'), default=None, help="default: the preset's (cpu unless gpu)")
    args = ap.parse_args()
    check_torch()
    check_onnx()
    for parts in REQUIRED:
        data_path(args.data, *parts)
    p = PRESETS[args.preset]
    w = os.path.join(args.work, p['work']) if p.get('work') else args.work
    device = args.device or p.get('device', 'cpu')
    out = args.out or os.path.join(w, 'export-' + args.preset)
    t0 = time.time()
    common = ['--data', args.data, '--work', w]
    step('vocabulary + pre-training corpus', ['prepare.py'] + common + (['--more-text'] if p.get('more_text') else []),
         os.path.join(w, 'pretrain.pt'))
    step('weak labels', ['weak.py'] + common, os.path.join(w, 'weak-train.jsonl'))
    mlm = os.path.join(w, p['mlm_dir'])
    if p.get('continue_from') and not os.path.exists(os.path.join(mlm, 'ckpt.pt')):
        base = PRESETS[p['continue_from']]
        base_dir = os.path.join(w, base['mlm_dir'])
        step('MLM pre-training (%s)' % p['continue_from'],
             ['pretrain.py', '--work', w, '--out', base_dir, '--steps', str(base['mlm_steps']),
              '--warmup', str(base['mlm_warmup']), '--bf16', '--resume'],
             os.path.join(base_dir, 'mlm-%d.pt' % base['mlm_steps']))
        os.makedirs(mlm, exist_ok=True)
        shutil.copyfile(os.path.join(base_dir, 'ckpt.pt'), os.path.join(mlm, 'ckpt.pt'))
    step('MLM pre-training', ['pretrain.py', '--work', w, '--out', mlm, '--steps', str(p['mlm_steps']),
                              '--warmup', str(p['mlm_warmup']), '--bf16', '--resume', '--device', device,
                              '--batch', str(p.get('mlm_batch', 64))],
         os.path.join(mlm, 'mlm-%d.pt' % p['mlm_steps']))
    ft = os.path.join(w, 'ner-%s.pt' % args.preset)
    step('fine-tuning', ['finetune.py'] + common + [
        '--init', os.path.join(mlm, 'mlm-%d.pt' % p['mlm_steps']), '--train', FINETUNE['train'],
        '--epochs', str(args.epochs), '--lr', str(FINETUNE['lr']), '--batch', str(FINETUNE['batch']),
        '--seed', str(FINETUNE['seed']), '--eval', '', '--bf16', '--device', device, '--out', ft], ft)
    step('export', ['export.py', '--work', w, '--ckpt', ft, '--out', out, '--name', args.name,
                    '--version', args.version])
    print('done in %.1f min: %s' % ((time.time() - t0) / 60, os.path.relpath(out, REPO)), flush=True)


if __name__ == '__main__':
    main()
