"""Recovers the PyTorch weights of a shipped model from its fp32 ONNX file (the training checkpoint of 1.1.0 was lost;
model.onnx holds every encoder weight and the token-classification head).

  /usr/bin/python3 models/ner/from_onnx.py --onnx models/chartmine-ner/onnx/model.onnx \
      --out models/ner/work/gpu/encoder-1.1.0.pt [--verify] [--score-devel]

Writes two files:
- OUT (an encoder snapshot in pretrain.py's format: {'bert', 'config', 'step', 'args'}): `finetune.py --init OUT`
  starts a fresh classifier on it, `pretrain.py --init OUT` continues masked-LM pre-training with a fresh MLM head;
- OUT without .pt + '-ner.pt' (a fine-tuned checkpoint in finetune.py's format, classifier included) that export.py
  and nerdata.predict read.

Names map through the graph: a named initializer is a parameter under its own name; a MatMul's weight input
(`onnx::MatMul_N`, the transposed nn.Linear weight after constant folding) belongs to the Linear named by the MatMul
node (`/bert/encoder/layer.0/attention/self/query/MatMul` -> `bert.encoder.layer.0.attention.self.query.weight`).
Every parameter of model.py's BertForTokenClassification must be found exactly once, with its shape.

--verify re-exports the recovered model with export.py's exporter and checks that every fp32 initializer of the new
file equals the shipped one bit for bit (the graph is PyTorch's own trace of model.py, so equal weights mean equal
logits). Caution for devel figures: the shipped model was fine-tuned on BC5CDR and NCBI train *and devel*, so any
model that starts from these weights has seen the devel labels (--score-devel shows how much).
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DEFAULT_DATA, DEFAULT_WORK, LABELS, check_onnx, check_torch, die  # noqa: E402


def linear_name(node_name):
    """'/bert/encoder/layer.0/attention/self/query/MatMul' -> 'bert.encoder.layer.0.attention.self.query'."""
    parts = [p for p in node_name.split('/') if p]
    if len(parts) < 2 or not parts[-1].startswith('MatMul'):
        return None
    return '.'.join(parts[:-1])


def read_onnx_weights(onnx, path):
    """{parameter name: numpy array} from a BertForTokenClassification ONNX export; the config from the shapes."""
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    out = {}
    for name, arr in inits.items():
        if not name.startswith('onnx::'):
            out[name] = arr
    for node in m.graph.node:
        if node.op_type != 'MatMul' or node.input[1] not in inits or not node.input[1].startswith('onnx::'):
            continue
        lin = linear_name(node.name)
        if lin is None:
            die('cannot name the MatMul node %r' % node.name)
        key = lin + '.weight'
        if key in out:
            die('two MatMul weights map to %s' % key)
        out[key] = inits[node.input[1]].T.copy()  # MatMul(x, W^T) = Linear(x)
    return out


def config_from_weights(w):
    from model import BertConfig
    layers = 0
    while 'bert.encoder.layer.%d.attention.self.query.weight' % layers in w:
        layers += 1
    vocab, hidden = w['bert.embeddings.word_embeddings.weight'].shape
    return BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=max(1, hidden // 64),
                      intermediate_size=w['bert.encoder.layer.0.intermediate.dense.weight'].shape[0],
                      max_position_embeddings=w['bert.embeddings.position_embeddings.weight'].shape[0],
                      type_vocab_size=w['bert.embeddings.token_type_embeddings.weight'].shape[0],
                      num_labels=w['classifier.weight'].shape[0])


def load_model(torch, onnx, path, heads=None):
    from model import BertForTokenClassification
    w = read_onnx_weights(onnx, path)
    cfg = config_from_weights(w)
    if heads:
        cfg.num_attention_heads = heads
    if cfg.num_labels != len(LABELS):
        die('the ONNX head has %d labels, the recipe %d' % (cfg.num_labels, len(LABELS)))
    model = BertForTokenClassification(cfg)
    state = model.state_dict()
    missing = sorted(set(state) - set(w))
    extra = sorted(set(w) - set(state))
    if missing or extra:
        die('ONNX weights do not match model.py: missing %s, unexpected %s' % (missing[:5], extra[:5]))
    for k, v in state.items():
        if tuple(v.shape) != tuple(w[k].shape):
            die('shape of %s: model %s, ONNX %s' % (k, tuple(v.shape), w[k].shape))
    model.load_state_dict({k: torch.from_numpy(w[k].copy()) for k in state})
    return model, cfg


def verify(torch, onnx, model, shipped):
    """Re-export with export.py's exporter; every initializer of the new file must equal the shipped one."""
    import numpy as np
    from export import export_onnx
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 'model.onnx')
        export_onnx(torch, model, p, model.config.vocab_size)
        a = read_onnx_weights(onnx, shipped)
        b = read_onnx_weights(onnx, p)
    same = sum(1 for k in a if k in b and a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]))
    return {'parameters': len(a), 'bit_identical': same, 'ok': same == len(a) == len(b)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--onnx', required=True, help='fp32 model.onnx of a shipped version')
    ap.add_argument('--out', required=True, help='encoder snapshot to write, e.g. models/ner/work/gpu/encoder-1.1.0.pt')
    ap.add_argument('--heads', type=int, default=0, help='attention heads (default hidden/64, 4 for 256)')
    ap.add_argument('--verify', action='store_true', help='re-export and compare every initializer exactly')
    ap.add_argument('--score-devel', action='store_true',
                    help='strict F1 of the recovered model on BC5CDR/NCBI devel (seen in its fine-tuning!)')
    ap.add_argument('--data', default=DEFAULT_DATA)
    ap.add_argument('--work', default=os.path.join(DEFAULT_WORK, 'gpu'), help='folder with vocab.txt (--score-devel)')
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch = check_torch(args.threads)
    onnx = check_onnx()
    model, cfg = load_model(torch, onnx, args.onnx, args.heads or None)
    meta = {'from_onnx': os.path.abspath(args.onnx), 'note': 'fine-tuned weights of a shipped model, not an MLM '
            'checkpoint: pre-training from it starts a fresh MLM head'}
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.save({'bert': {k: v for k, v in state.items() if k.startswith('bert.')}, 'config': cfg.to_dict(),
                'step': 0, 'args': meta}, args.out)
    ner_out = (args.out[:-3] if args.out.endswith('.pt') else args.out) + '-ner.pt'
    torch.save({'model': state, 'config': cfg.to_dict(), 'labels': LABELS, 'args': meta, 'train_min': 0.0}, ner_out)
    result = {'encoder': args.out, 'ner_checkpoint': ner_out, 'config': cfg.to_dict(),
              'parameters': sum(v.numel() for v in state.values())}
    if args.verify:
        result['verify'] = verify(torch, onnx, model, args.onnx)
    if args.score_devel:
        import nerdata
        from common import WordPiece
        from finetune import EVAL_SETS
        wp = WordPiece.load(os.path.join(args.work, 'vocab.txt'))
        result['devel'] = {}
        for name, types in EVAL_SETS.items():
            ex = nerdata.load_source(args.data, name, args.work)
            result['devel'][name] = nerdata.score(ex, nerdata.predict(torch, model, ex, wp), types)
    print(json.dumps(result, indent=1))
    if args.verify and not result['verify']['ok']:
        sys.exit(1)


if __name__ == '__main__':
    main()
