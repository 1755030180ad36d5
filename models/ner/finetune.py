"""Step 3 of the recipe: fine-tune the pre-trained encoder for BIO token classification (PROBLEM / DRUG / TEST)
on BC5CDR (Disease -> PROBLEM, Chemical -> DRUG), NCBI-disease (Disease -> PROBLEM) and weakly labelled clinical
sentences, then score strict entity F1 on the devel sets. Test splits are never read here.
"""
import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DEFAULT_DATA, DEFAULT_WORK, LABELS, WordPiece, check_torch  # noqa: E402
import nerdata  # noqa: E402

EVAL_SETS = {'bc5cdr-devel': ('PROBLEM', 'DRUG'), 'ncbi-devel': ('PROBLEM',)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=DEFAULT_DATA, help='shared data folder (default ../shared/data)')
    ap.add_argument('--work', default=DEFAULT_WORK)
    ap.add_argument('--init', default=None, help='MLM encoder snapshot (mlm-*.pt, or from_onnx.py\'s encoder-*.pt); '
                    'none = random init')
    ap.add_argument('--train', default='bc5cdr-train,ncbi-train,weak-train.jsonl',
                    help='comma-separated sources: bc5cdr-train, bc5cdr-devel, ncbi-train, ncbi-devel, or a jsonl file')
    ap.add_argument('--weak-max', type=int, default=0, help='cap on weak sentences (0 = all)')
    ap.add_argument('--eval', default='bc5cdr-devel,ncbi-devel', help='devel sets to score after training ("" = none)')
    ap.add_argument('--epochs', type=int, default=8)
    ap.add_argument('--lr', type=float, default=1.5e-4)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--warmup-frac', type=float, default=0.1)
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--bf16', action='store_true')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--out', required=True, help='output checkpoint (.pt)')
    ap.add_argument('--eval-every-epoch', action='store_true')
    ap.add_argument('--crf', action='store_true',
                    help='a linear-chain CRF over words (learned transition scores, NLL loss) instead of the softmax')
    ap.add_argument('--crf-lr', type=float, default=5e-3, help='peak learning rate of the CRF scores (same schedule)')
    ap.add_argument('--max-minutes', type=float, default=0,
                    help='stop training after this many minutes (0 = none), then save and score as usual')
    ap.add_argument('--smoke', action='store_true',
                    help='a < 1 min check: 200 sentences per source, 1 epoch, devel scored on its first 200 sentences')
    # Architecture when starting from random weights.
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--ffn', type=int, default=1024)
    args = ap.parse_args()
    if args.smoke:
        args.epochs = 1
    torch = check_torch(args.threads, cpu_blas=args.device == 'cpu')
    from model import BertConfig, BertForTokenClassification
    from crf import CRF, word_emissions

    wp = WordPiece.load(os.path.join(args.work, 'vocab.txt'))
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.init:
        snap = torch.load(args.init, map_location='cpu')
        cfg = BertConfig.from_dict(snap['config'])
        cfg.num_labels = len(LABELS)
        model = BertForTokenClassification(cfg)
        missing, unexpected = model.load_state_dict(snap['bert'], strict=False)
        assert all(k.startswith('classifier') for k in missing) and not unexpected, (missing, unexpected)
        print('init from %s (MLM step %d%s)' % (args.init, snap['step'],
                                               ', recovered from ONNX' if 'from_onnx' in snap.get('args', {}) else ''),
              flush=True)
    else:
        cfg = BertConfig(vocab_size=len(wp.vocab), hidden_size=args.hidden, num_hidden_layers=args.layers,
                         num_attention_heads=args.heads, intermediate_size=args.ffn, num_labels=len(LABELS))
        model = BertForTokenClassification(cfg)

    dev = torch.device(args.device)
    model.to(dev)
    crf = CRF(len(LABELS)).to(dev) if args.crf else None
    examples = []
    for name in [s for s in args.train.split(',') if s]:
        ex = nerdata.load_source(args.data, name, args.work)
        if args.weak_max and name.endswith('.jsonl'):
            random.Random(args.seed).shuffle(ex)
            ex = ex[:args.weak_max]
        if args.smoke:
            ex = ex[:200]
        print('train source %s: %d sentences, %d entities' % (name, len(ex), sum(len(e.entities) for e in ex)),
              flush=True)
        examples.extend(ex)
    feats = nerdata.featurize(examples, wp, cfg.max_position_embeddings)
    # Types a source does not annotate are unknown there, not "O": mask those labels out of the loss.
    type_mask = {}
    for ex in examples:
        type_mask.setdefault(ex.types, None)
    feats_types = [examples[f[3]].types for f in feats]

    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ('bias', 'LayerNorm'))]
    no_decay = [p for n, p in model.named_parameters() if any(k in n for k in ('bias', 'LayerNorm'))]
    groups = [{'params': decay, 'weight_decay': args.weight_decay, 'lr_scale': 1.0},
              {'params': no_decay, 'weight_decay': 0.0, 'lr_scale': 1.0}]
    if crf is not None:  # the transition scores start at 0 and need a larger step than the encoder's
        groups.append({'params': list(crf.parameters()), 'weight_decay': 0.0, 'lr_scale': args.crf_lr / args.lr})
    opt = torch.optim.AdamW(groups, lr=args.lr)
    rng = random.Random(args.seed)
    steps_per_epoch = len(nerdata.batches(feats, args.batch, shuffle=False))
    total = steps_per_epoch * args.epochs
    warm = max(1, int(total * args.warmup_frac))

    def lr_at(s):
        return args.lr * (s + 1) / warm if s < warm else args.lr * max(0.0, (total - s) / max(1, total - warm))

    label_types = [l[2:] if l != 'O' else None for l in LABELS]
    step = 0
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        run, n = 0.0, 0
        for idx in nerdata.batches(feats, args.batch, shuffle=True, rng=rng):
            ids, attn, labs = nerdata.collate(torch, feats, idx)
            ids, attn, labs = ids.to(dev), attn.to(dev), labs.to(dev)
            for g in opt.param_groups:
                g['lr'] = lr_at(step) * g['lr_scale']
            with torch.autocast(device_type=args.device, enabled=args.bf16, dtype=torch.bfloat16):
                logits = model(ids, attn).float()
            # Partial annotation: for a source that does not annotate type T, the B-T / I-T logits are removed
            # from the softmax (the word's gold label there is O or another type: we do not know it is not T).
            penalty = torch.zeros(len(idx), 1, len(LABELS))
            for r, i in enumerate(idx):
                ts = feats_types[i]
                for j, t in enumerate(label_types):
                    if t is not None and t not in ts:
                        penalty[r, 0, j] = -1e4
            penalty = penalty.to(dev)
            if crf is None:
                loss = torch.nn.functional.cross_entropy((logits + penalty).view(-1, len(LABELS)), labs.view(-1),
                                                         ignore_index=-100)
            else:
                # CRF NLL over words' first sub-tokens, per word; the penalty removes un-annotated types from the
                # partition exactly as it removes them from the softmax.
                em, tags, wmask, counts = word_emissions(logits + penalty, labs)
                sel = counts > 0
                loss = crf.nll(em[sel], tags[sel], wmask[sel]) / counts.sum().clamp(min=1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(model.parameters()) + (list(crf.parameters()) if crf else []), 1.0)
            opt.step()
            step += 1
            run += loss.item()
            n += 1
            if step % 100 == 0:
                print(json.dumps({'epoch': epoch + 1, 'step': step, 'of': total, 'loss': round(run / n, 4),
                                  'elapsed_min': round((time.time() - t0) / 60, 1)}), flush=True)
                run, n = 0.0, 0
            if args.max_minutes and time.time() - t0 > args.max_minutes * 60:
                break
        if args.max_minutes and time.time() - t0 > args.max_minutes * 60:
            print('stopped by --max-minutes at step %d of %d' % (step, total), flush=True)
            break
        if args.eval_every_epoch and args.eval and epoch + 1 < args.epochs:
            print(json.dumps({'epoch': epoch + 1, 'devel': evaluate(torch, model, wp, args, crf)}), flush=True)
    train_min = (time.time() - t0) / 60
    torch.save({'model': {k: v.detach().cpu() for k, v in model.state_dict().items()}, 'config': cfg.to_dict(),
                'labels': LABELS, 'args': vars(args), 'train_min': train_min,
                'crf': crf.to_lists() if crf else None}, args.out)
    result = {'out': args.out, 'train_min': round(train_min, 1), 'steps': step, 'args': vars(args)}
    if crf is not None:
        result['crf'] = crf.to_lists()
    if args.eval:
        result['devel'] = evaluate(torch, model, wp, args, crf)
    print(json.dumps(result), flush=True)
    with open(args.out + '.json', 'w') as f:
        json.dump(result, f, indent=1)


def evaluate(torch, model, wp, args, crf=None):
    res = {}
    for name in [s for s in args.eval.split(',') if s]:
        if 'test' in name:
            raise SystemExit('error: finetune.py never scores test splits (use evaluate.py once per shipped model)')
        ex = nerdata.load_source(args.data, name, args.work)
        if args.smoke:
            ex = ex[:200]
        pred = nerdata.predict(torch, model, ex, wp, crf=crf.to_lists() if crf else None)
        res[name] = nerdata.score(ex, pred, EVAL_SETS.get(name))
    return res


if __name__ == '__main__':
    main()
