"""Neutral-class calibration: on the held-out fold's review logits that train.py saved (<ckpt>.devel), find the bias
added to the neutral logit that maximises three-class macro-F1 (binary polarity is unaffected: it compares the
negative and positive scores only), and write it to the model folder's config.json as chartmine_polarity_bias.
The fold is then no longer an unbiased estimate for the three-class figure; drugLibTest still is.

  /usr/bin/python3 models/sentiment/calibrate.py --devel models/sentiment/work/sent-fold0-s7.pt.devel \
      --model models/chartmine-sentiment
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ner'))
sys.path.insert(0, HERE)  # first: this folder's train.py, not models/ner/train.py
from common import DEFAULT_DATA, check_torch  # noqa: E402
import sentdata as sd  # noqa: E402
from sentdata import macro_f1  # noqa: E402


def calibrate(torch, devel_path, model_dir, data_dir):
    """Writes the best neutral bias into model_dir/config.json; returns what it found."""
    saved = torch.load(devel_path)
    gold_by_id = {r['id']: r['polarity'] for r in sd.read_druglib(data_dir)}
    gold = [gold_by_id[i] for i in saved['ids']]
    pol = saved['logits'][:, 0:3]
    base = macro_f1(gold, pol.argmax(1).tolist(), (0, 1, 2))
    best = (base, 0.0)
    for k in range(-20, 41):
        b = k / 10
        f = macro_f1(gold, (pol + torch.tensor([0.0, b, 0.0])).argmax(1).tolist(), (0, 1, 2))
        if f > best[0] + 1e-9:
            best = (f, b)
    path = os.path.join(model_dir, 'config.json')
    with open(path) as f:
        config = json.load(f)
    config['chartmine_polarity_bias'] = [0.0, best[1], 0.0]
    with open(path, 'w') as f:
        json.dump(config, f, indent=2)
    return {'devel_reviews': len(gold), 'three_class_macro_f1_before': round(base, 4), 'neutral_bias': best[1],
            'three_class_macro_f1_after': round(best[0], 4)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--devel', required=True, help='held-out logits train.py saved (<ckpt>.devel or <ckpt>.devel<N>)')
    ap.add_argument('--model', required=True, help='exported model folder whose config.json gets the bias')
    ap.add_argument('--data', default=DEFAULT_DATA)
    args = ap.parse_args()
    torch = check_torch(1, cpu_blas=False)
    print(json.dumps(calibrate(torch, args.devel, args.model, args.data)))


if __name__ == '__main__':
    main()
