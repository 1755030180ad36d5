"""What each fine-tuning source contributes: fine-tune the same MLM encoder on growing sets of training splits and
score strict entity F1 on the devel splits (never the test splits), plus random init on everything for the value
of pre-training. Writes WORK/ablation.json and prints a Markdown table for the model card.

  /usr/bin/python3 models/ner/ablate.py --init models/ner/work/mlm-default/mlm-1000.pt [--epochs 2] [--only 1,3]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import DEFAULT_DATA, DEFAULT_WORK, check_torch  # noqa: E402

RUNS = [
    ('BC5CDR train', 'bc5cdr-train', True),
    ('+ NCBI-disease train', 'bc5cdr-train,ncbi-train', True),
    ('+ weak clinical labels (dictionary labeller, weak.py; the recipe)', 'bc5cdr-train,ncbi-train,weak-train.jsonl',
     True),
    ('+ weak clinical labels (Chartmine rule pipeline, weak-rules.mjs) instead',
     'bc5cdr-train,ncbi-train,weak-rules.jsonl', True),
    ('the recipe\'s data, no MLM pre-training', 'bc5cdr-train,ncbi-train,weak-train.jsonl', False),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=DEFAULT_DATA)
    ap.add_argument('--work', default=DEFAULT_WORK)
    ap.add_argument('--init', required=True, help='MLM encoder snapshot shared by the pre-trained runs')
    ap.add_argument('--epochs', type=int, default=2)
    ap.add_argument('--only', default='', help='comma-separated run numbers (1-based) to run; default all')
    args = ap.parse_args()
    check_torch()
    out_path = os.path.join(args.work, 'ablation.json')
    results = json.load(open(out_path)) if os.path.exists(out_path) else {}
    only = {int(x) for x in args.only.split(',') if x}
    if not os.path.exists(os.path.join(args.work, 'weak-rules.jsonl')):
        # Labels from Chartmine's own TypeScript pipeline over the same candidate sentences (needs npm run build).
        subprocess.run(['node', os.path.join(HERE, 'weak-rules.mjs'), '--work', args.work], check=True)
    for n, (label, train, pretrained) in enumerate(RUNS, 1):
        if (only and n not in only) or label in results:
            continue
        ckpt = os.path.join(args.work, 'ablate-%d.pt' % n)
        cmd = [sys.executable, os.path.join(HERE, 'finetune.py'), '--data', args.data, '--work', args.work,
               '--train', train, '--epochs', str(args.epochs), '--eval', 'bc5cdr-devel,ncbi-devel', '--bf16',
               '--out', ckpt] + (['--init', args.init] if pretrained else [])
        print('== %d. %s: %s' % (n, label, ' '.join(cmd[1:])), flush=True)
        t = time.time()
        subprocess.run(cmd, check=True)
        with open(ckpt + '.json') as f:
            r = json.load(f)
        results[label] = {'train': train, 'pretrained': pretrained, 'epochs': args.epochs,
                          'minutes': round((time.time() - t) / 60, 1), 'devel': r['devel']}
        with open(out_path, 'w') as f:
            json.dump(results, f, indent=1)
    print('| fine-tuning data | BC5CDR devel F1 | PROBLEM | DRUG | NCBI devel F1 |')
    print('|---|---|---|---|---|')
    for label, r in results.items():
        b, c = r['devel']['bc5cdr-devel'], r['devel']['ncbi-devel']
        print('| %s | %.3f | %.3f | %.3f | %.3f |' % (label, b['ALL']['f1'], b['PROBLEM']['f1'], b['DRUG']['f1'],
                                                    c['ALL']['f1']))


if __name__ == '__main__':
    main()
