"""The Chartmine sentiment recipe, one step: fine-tune the shipped NER model's encoder (fp32 ONNX weights) as a
multi-task review classifier on drugLibTrain (polarity from the rating, rating regression, side-effect severity,
effectiveness), score a held-out fold of drugLibTrain, save a checkpoint; `--export DIR` then writes the
transformers.js folder (fp32 + int8 ONNX) with export.py. drugLibTest is never read.

  /usr/bin/python3 models/sentiment/train.py --fold 0            # tune: train on 4/5, score the 5th
  npm run train:sentiment   # = --fold 0 --epochs 5 --lr 2e-4 --export models/chartmine-sentiment: the shipped model
  /usr/bin/python3 models/sentiment/train.py --fold -1 ...        # all of drugLibTrain (no held-out figures)
"""
import argparse
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'ner'))
from common import DEFAULT_DATA, PAD, REPO, WordPiece, check_torch  # noqa: E402
import sentdata as sd  # noqa: E402
from sentdata import macro_f1  # noqa: E402

DEFAULT_INIT = os.path.join(REPO, 'models', 'chartmine-ner')
WORK = os.path.join(HERE, 'work')


def load_step(name):
    """This folder's export.py / calibrate.py by path (models/ner/ has an export.py too, earlier on sys.path)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('sentiment_' + name, os.path.join(HERE, name + '.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def featurize(reviews, wp):
    return [[w for w in sd.windows(sd.token_ids(wp, r['text']))] for r in reviews]


def batches(feats, batch, rng):
    """Reviews grouped by token count (less padding), batches shuffled."""
    order = sorted(range(len(feats)), key=lambda i: (sum(len(w) for w in feats[i]), rng.random() if rng else 0))
    out = [order[i:i + batch] for i in range(0, len(order), batch)]
    if rng:
        rng.shuffle(out)
    return out


def collate(torch, feats, idx):
    wins, owner = [], []
    for j, i in enumerate(idx):
        for w in feats[i]:
            wins.append(w)
            owner.append(j)
    t = max(len(w) for w in wins)
    ids = torch.full((len(wins), t), PAD, dtype=torch.long)
    mask = torch.zeros((len(wins), t), dtype=torch.long)
    for k, w in enumerate(wins):
        ids[k, :len(w)] = torch.tensor(w)
        mask[k, :len(w)] = 1
    return ids, mask, torch.tensor(owner)


def review_logits(torch, model, ids, mask, owner, n):
    win = model(ids, mask)
    s = torch.zeros(n, win.shape[1]).index_add_(0, owner, win)
    c = torch.zeros(n).index_add_(0, owner, torch.ones(len(owner)))
    return s / c.unsqueeze(1)


def predict(torch, model, feats, batch=32):
    model.eval()
    out = []
    with torch.no_grad():
        for idx in batches(feats, batch, None):
            ids, mask, owner = collate(torch, feats, idx)
            lg = review_logits(torch, model, ids, mask, owner, len(idx))
            out.extend(zip(idx, lg))
    out.sort(key=lambda x: x[0])
    return torch.stack([x[1] for x in out])


def score(torch, logits, reviews):
    """The eval's figures on a held-out fold: binary polarity (positive vs negative, gold neutral left out; the
    prediction is the larger of the two), three-class and severity macro-F1."""
    pol = logits[:, 0:3]
    gold = [r['polarity'] for r in reviews]
    three = pol.argmax(1).tolist()
    binary = [(2 if pol[i, 2] >= pol[i, 0] else 0) for i in range(len(reviews))]
    keep = [i for i, g in enumerate(gold) if g != 1]
    bg, bp = [gold[i] for i in keep], [binary[i] for i in keep]
    sev = logits[:, 3:8].argmax(1).tolist()
    return {
        'n': len(reviews), 'binary_accuracy': round(sum(g == p for g, p in zip(bg, bp)) / max(1, len(bg)), 4),
        'binary_macro_f1': round(macro_f1(bg, bp, (0, 2)), 4),
        'three_class_macro_f1': round(macro_f1(gold, three, (0, 1, 2)), 4),
        'severity_macro_f1': round(macro_f1([r['severity'] for r in reviews], sev, range(5)), 4),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=DEFAULT_DATA)
    ap.add_argument('--init', default=DEFAULT_INIT, help='model folder whose onnx/model.onnx encoder starts training')
    ap.add_argument('--fold', type=int, default=0, help='held-out fold of drugLibTrain (reviewID %% 5); -1 = none')
    ap.add_argument('--epochs', type=int, default=5)
    ap.add_argument('--lr', type=float, default=2e-4)
    ap.add_argument('--batch', type=int, default=16, help='reviews per step')
    ap.add_argument('--warmup-frac', type=float, default=0.1)
    ap.add_argument('--neutral-weight', type=float, default=2.0, help='polarity loss weight of the neutral class')
    ap.add_argument('--aux', type=float, default=0.5, help='weight of the severity/effectiveness/rating losses')
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--out', default=None, help='checkpoint (default models/sentiment/work/sent-fold<F>-s<seed>.pt)')
    ap.add_argument('--export', default=None, help='after training, write the transformers.js folder here')
    ap.add_argument('--version', default='0.0.0-dev')
    args = ap.parse_args()
    torch = check_torch(args.threads)
    from sentmodel import BertConfig, BertForSentiment, encoder_from_onnx
    os.makedirs(WORK, exist_ok=True)
    out = args.out or os.path.join(WORK, 'sent-fold%d-s%d.pt' % (args.fold, args.seed))
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    with open(os.path.join(args.init, 'config.json')) as f:
        hf = json.load(f)
    cfg = BertConfig(vocab_size=hf['vocab_size'], hidden_size=hf['hidden_size'],
                     num_hidden_layers=hf['num_hidden_layers'], num_attention_heads=hf['num_attention_heads'],
                     intermediate_size=hf['intermediate_size'], max_position_embeddings=hf['max_position_embeddings'],
                     num_labels=sd.NUM_OUTPUTS)
    model = BertForSentiment(cfg, sd.NUM_OUTPUTS)
    missing, unexpected = model.load_state_dict(encoder_from_onnx(os.path.join(args.init, 'onnx', 'model.onnx')),
                                                strict=False)
    assert all(k.startswith(('pooler', 'classifier')) for k in missing) and not unexpected, (missing, unexpected)
    wp = WordPiece.load(os.path.join(args.init, 'vocab.txt'))
    train, devel = sd.devel_split(sd.read_druglib(args.data), args.fold)
    feats = featurize(train, wp)
    print('train %d reviews (%d windows), devel %d' % (len(train), sum(len(f) for f in feats), len(devel)), flush=True)
    pol_w = torch.tensor([1.0, args.neutral_weight, 1.0])
    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ('bias', 'LayerNorm'))]
    no_decay = [p for n, p in model.named_parameters() if any(k in n for k in ('bias', 'LayerNorm'))]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=args.lr)
    rng = random.Random(args.seed)
    total = len(batches(feats, args.batch, None)) * args.epochs
    warm = max(1, int(total * args.warmup_frac))

    def lr_at(s):
        return args.lr * (s + 1) / warm if s < warm else args.lr * max(0.0, (total - s) / max(1, total - warm))

    ce = torch.nn.functional.cross_entropy
    step, t0 = 0, time.time()
    dev_feats = featurize(devel, wp) if devel else []
    history = []
    for epoch in range(args.epochs):
        model.train()
        run, n = 0.0, 0
        for idx in batches(feats, args.batch, rng):
            ids, mask, owner = collate(torch, feats, idx)
            for g in opt.param_groups:
                g['lr'] = lr_at(step)
            lg = review_logits(torch, model, ids, mask, owner, len(idx))
            rv = [train[i] for i in idx]
            y = {k: torch.tensor([r[k] for r in rv]) for k in ('polarity', 'severity', 'effectiveness')}
            rating = torch.tensor([sd.rating_target(r['rating']) for r in rv], dtype=torch.float32)
            loss = ce(lg[:, 0:3], y['polarity'], weight=pol_w) + args.aux * (
                ce(lg[:, 3:8], y['severity']) + ce(lg[:, 8:13], y['effectiveness']) +
                torch.nn.functional.mse_loss(lg[:, 13], rating))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            run += loss.item()
            n += 1
            if step % 50 == 0:
                print(json.dumps({'epoch': epoch + 1, 'step': step, 'of': total, 'loss': round(run / n, 4),
                                  'elapsed_min': round((time.time() - t0) / 60, 1)}), flush=True)
                run, n = 0.0, 0
        if epoch + 1 < args.epochs:
            # A usable snapshot per epoch (a shared machine may not leave time for the last one).
            torch.save({'model': {k: v.detach().cpu() for k, v in model.state_dict().items()},
                        'config': cfg.to_dict(), 'args': vars(args), 'epoch': epoch + 1}, out + '.epoch%d' % (epoch + 1))
        if devel:
            dev_logits = predict(torch, model, dev_feats)
            res = score(torch, dev_logits, devel)
            res['epoch'] = epoch + 1
            history.append(res)
            print(json.dumps({'devel': res}), flush=True)
            torch.save({'ids': [r['id'] for r in devel], 'logits': dev_logits}, out + '.devel%d' % (epoch + 1))
    train_min = (time.time() - t0) / 60
    torch.save({'model': {k: v.detach().cpu() for k, v in model.state_dict().items()}, 'config': cfg.to_dict(),
                'args': vars(args), 'train_min': train_min}, out)
    if devel:
        torch.save({'ids': [r['id'] for r in devel], 'logits': predict(torch, model, dev_feats)}, out + '.devel')
    result = {'out': out, 'train_min': round(train_min, 1), 'args': vars(args), 'devel': history}
    print(json.dumps(result), flush=True)
    with open(out + '.json', 'w') as f:
        json.dump(result, f, indent=1)
    if args.export:
        load_step('export').export_folder(out, args.export, args.init, args.version)
        if devel:
            calibration = load_step('calibrate').calibrate(torch, out + '.devel', args.export, args.data)
            print(json.dumps({'calibration': calibration}), flush=True)


if __name__ == '__main__':
    main()
