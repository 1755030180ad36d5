"""Step 2 of the recipe: masked-LM pre-training (whole-word masking) of a small BERT on work/pretrain.pt.

Checkpoints go to --out every --ckpt-every steps (model + optimizer, so a stopped run resumes with --resume),
plus an encoder snapshot mlm-<step>.pt at each checkpoint, so fine-tuning can start from any of them.
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DEFAULT_WORK, CLS, MASK, PAD, SEP, check_torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default=DEFAULT_WORK)
    ap.add_argument('--out', default=None, help='checkpoint folder (default WORK/mlm)')
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--ffn', type=int, default=1024)
    ap.add_argument('--steps', type=int, default=6000)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--lr', type=float, default=5e-4)
    ap.add_argument('--warmup', type=int, default=300)
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--mask-prob', type=float, default=0.15)
    ap.add_argument('--bio-weight', type=float, default=3.0,
                    help='sampling weight of BC5CDR/NCBI sequences relative to clinical text')
    ap.add_argument('--bf16', action='store_true', help='bfloat16 autocast for matmuls (about 1.5x faster on AMX)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', choices=('cpu', 'cuda'), default='cpu',
                    help='cuda: same recipe and seeds on a GPU (batches are drawn on the CPU generator either way)')
    ap.add_argument('--max-minutes', type=float, default=0,
                    help='safety stop: checkpoint and exit after this many minutes (0 = none); resume continues')
    ap.add_argument('--seed', type=int, default=13)
    ap.add_argument('--ckpt-every', type=int, default=500)
    ap.add_argument('--keep-every', type=int, default=1000, help='keep an encoder snapshot every N steps')
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--init', default=None,
                    help='start from an encoder snapshot (mlm-*.pt, or from_onnx.py\'s encoder-*.pt for a shipped '
                         'model) with a fresh MLM head and a fresh schedule; --resume from OUT/ckpt.pt wins over it')
    args = ap.parse_args()
    torch = check_torch(args.threads, cpu_blas=args.device == 'cpu')
    from model import BertConfig, BertForMaskedLM

    out = args.out or os.path.join(args.work, 'mlm')
    os.makedirs(out, exist_ok=True)
    data = torch.load(os.path.join(args.work, 'pretrain.pt'))
    ids_all = data['ids'].long()
    ws_all = data['word_start']
    src = data['source'].long()
    names = data['source_names']
    weights = torch.ones(len(ids_all))
    for i, n in enumerate(names):
        if n in ('BC5CDR-IOB', 'NCBI-disease-IOB'):
            weights[src == i] = args.bio_weight
    vocab_size = data['vocab_size']
    seq_len = ids_all.shape[1]

    init = torch.load(args.init, map_location='cpu') if args.init else None
    if init is not None:
        cfg = BertConfig.from_dict(init['config'])  # the snapshot's size wins over --layers/--hidden/...
        if cfg.vocab_size != vocab_size or cfg.max_position_embeddings < seq_len:
            sys.exit('error: --init has vocabulary %d and %d positions; pretrain.pt needs %d and %d (use the work '
                     'folder whose vocab.txt the snapshot was trained with)' % (cfg.vocab_size,
                                                                                cfg.max_position_embeddings,
                                                                                vocab_size, seq_len))
    else:
        cfg = BertConfig(vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                         num_attention_heads=args.heads, intermediate_size=args.ffn, max_position_embeddings=seq_len)
    torch.manual_seed(args.seed)
    model = BertForMaskedLM(cfg)
    if init is not None:
        # The encoder's weights; the MLM head (transform + output bias) starts fresh, its decoder stays tied to the
        # word embeddings. A shipped model's encoder was fine-tuned for NER: pre-training continues from there.
        missing, unexpected = model.load_state_dict(init['bert'], strict=False)
        assert not unexpected and all(k.startswith('cls.predictions.') for k in missing), (missing, unexpected)
        fresh = sorted(k for k in missing if k != 'cls.predictions.word_embeddings.weight')  # tied: loaded
        print('init from %s (fresh MLM head: %s)' % (args.init, ', '.join(fresh)), flush=True)
    dev = torch.device(args.device)
    if args.device == 'cuda' and not torch.cuda.is_available():
        sys.exit('error: --device cuda but torch sees no GPU')
    model.to(dev)
    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ('bias', 'LayerNorm'))]
    no_decay = [p for n, p in model.named_parameters() if any(k in n for k in ('bias', 'LayerNorm'))]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay},
                             {'params': no_decay, 'weight_decay': 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    step = 0
    gen = torch.Generator().manual_seed(args.seed)
    ckpt_path = os.path.join(out, 'ckpt.pt')
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=args.device)
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        step = ck['step']
        gen.set_state(ck['gen'])
        print('resumed at step %d' % step, flush=True)

    def lr_at(s):
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        return args.lr * max(0.0, (args.steps - s) / max(1, args.steps - args.warmup))

    def save(final=False):
        state = {'model': model.state_dict(), 'opt': opt.state_dict(), 'step': step, 'gen': gen.get_state(),
                 'config': cfg.to_dict(), 'args': vars(args)}
        torch.save(state, ckpt_path + '.tmp')
        os.replace(ckpt_path + '.tmp', ckpt_path)
        enc = {k: v.detach().cpu() for k, v in model.state_dict().items() if k.startswith('bert.')}
        snap = {'bert': enc, 'config': cfg.to_dict(), 'step': step, 'args': vars(args)}
        torch.save(snap, os.path.join(out, 'mlm-last.pt'))
        if final or step % args.keep_every == 0:
            torch.save(snap, os.path.join(out, 'mlm-%d.pt' % step))

    model.train()
    t0 = time.time()
    last_t, run_loss, run_n = t0, 0.0, 0
    log = open(os.path.join(out, 'log.jsonl'), 'a')
    while step < args.steps:
        idx = torch.multinomial(weights, args.batch, replacement=True, generator=gen)
        ids = ids_all[idx].clone()
        ws = ws_all[idx]
        content = (ids != PAD) & (ids != CLS) & (ids != SEP)
        word_idx = torch.cumsum(ws.long(), dim=1).clamp(max=seq_len)
        pick_word = torch.rand(args.batch, seq_len + 1, generator=gen) < args.mask_prob
        chosen = torch.gather(pick_word, 1, word_idx) & content
        labels = ids[chosen]
        r = torch.rand(ids.shape, generator=gen)
        rand_tok = torch.randint(5, vocab_size, ids.shape, generator=gen)
        ids[chosen & (r < 0.8)] = MASK
        swap = chosen & (r >= 0.8) & (r < 0.9)
        ids[swap] = rand_tok[swap]
        attn = (ids != PAD).long()
        for g in opt.param_groups:
            g['lr'] = lr_at(step)
        with torch.autocast(device_type=args.device, enabled=args.bf16, dtype=torch.bfloat16):
            logits = model(ids.to(dev), attn.to(dev), chosen.to(dev))
        loss = torch.nn.functional.cross_entropy(logits.float(), labels.to(dev))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if not math.isfinite(loss.item()):
            print('loss is not finite at step %d; stopping' % step, flush=True)
            sys.exit(1)
        run_loss += loss.item()
        run_n += 1
        if step % 50 == 0 or step == args.steps:
            now = time.time()
            rec = {'step': step, 'loss': round(run_loss / run_n, 4), 'lr': lr_at(step - 1),
                   's_per_step': round((now - last_t) / run_n, 3), 'elapsed_min': round((now - t0) / 60, 1)}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + '\n')
            log.flush()
            last_t, run_loss, run_n = now, 0.0, 0
        if step % args.ckpt_every == 0 or step == args.steps:
            save(final=step == args.steps)
        elif args.max_minutes and time.time() - t0 > args.max_minutes * 60:
            save()
            print('stopped by --max-minutes at step %d; run again with --resume to continue' % step, flush=True)
            sys.exit(3)
    print('done: %d steps in %.1f min' % (step, (time.time() - t0) / 60), flush=True)


if __name__ == '__main__':
    main()
