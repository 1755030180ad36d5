"""Export a sentiment checkpoint as a transformers.js folder (BertForSequenceClassification layout): the NER
recipe's tokenizer files and int8 quantiser (models/ner/export.py), config.json with the head layout
(`chartmine_heads`), onnx/model.onnx (fp32) + onnx/model_quantized.onnx (int8), files.json with sizes and sha256.

  /usr/bin/python3 models/sentiment/export.py --ckpt models/sentiment/work/sent-fold0-s7.pt \
      --out models/chartmine-sentiment --version 1.0.0
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'ner'))
from common import REPO, check_onnx, check_torch, sha256_file  # noqa: E402
import sentdata as sd  # noqa: E402


def output_names():
    names = ['polarity:' + p for p in sd.POLARITY]
    names += ['severity:' + s for s in ('none', 'mild', 'moderate', 'severe', 'extremely-severe')]
    names += ['effectiveness:' + e for e in ('ineffective', 'marginal', 'moderate', 'considerable', 'high')]
    return names + ['rating']


def load_ner_export():
    """models/ner/export.py under another module name (this file is `export` too)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('ner_export', os.path.join(HERE, '..', 'ner', 'export.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# Synthetic texts whose torch (fp32) polarity logits the serving code must reproduce (shipped-model test); the last
# one is longer than one window.
PARITY_TEXTS = [
    'This medicine worked wonderfully and I have had no side effects.',
    'It made me dizzy and nauseous every morning, and my pain did not improve. I stopped after two weeks.',
    'Some relief from the headaches, but I feel tired in the afternoon.',
    ' '.join(['My blood pressure is better controlled than before, although I get a dry cough at night.'] * 12),
]


def parity_logits(torch, model, vocab):
    """[{text, polarity_logits}] from the torch model: the reference the TypeScript side is tested against."""
    from common import WordPiece
    wp = WordPiece(vocab)
    out = []
    with torch.no_grad():
        for text in PARITY_TEXTS:
            wins = sd.windows(sd.token_ids(wp, text))
            t = max(len(w) for w in wins)
            ids = torch.zeros((len(wins), t), dtype=torch.long)
            mask = torch.zeros((len(wins), t), dtype=torch.long)
            for k, w in enumerate(wins):
                ids[k, :len(w)] = torch.tensor(w)
                mask[k, :len(w)] = 1
            pooled = model(ids, mask).mean(0)
            out.append({'text': text, 'windows': len(wins),
                        'polarity_logits': [round(float(x), 5) for x in pooled[0:3]]})
    return out


def export_folder(ckpt_path, out, init_dir, version, name='chartmine-sentiment'):
    torch = check_torch()
    onnx = check_onnx()
    ner_export = load_ner_export()
    from sentmodel import BertConfig, BertForSentiment
    ck = torch.load(ckpt_path)
    cfg = BertConfig.from_dict(ck['config'])
    model = BertForSentiment(cfg, sd.NUM_OUTPUTS)
    model.load_state_dict(ck['model'])
    model.eval()
    with open(os.path.join(init_dir, 'vocab.txt'), encoding='utf-8') as f:
        vocab = [line.rstrip('\n') for line in f]
    os.makedirs(os.path.join(out, 'onnx'), exist_ok=True)
    ner_export.write_hf_files(out, cfg, vocab, name, version, cfg.max_position_embeddings)
    with open(os.path.join(out, 'config.json')) as f:
        config = json.load(f)
    labels = output_names()
    config.update({
        'architectures': ['BertForSequenceClassification'], 'problem_type': 'multi_task',
        'id2label': {str(i): l for i, l in enumerate(labels)}, 'label2id': {l: i for i, l in enumerate(labels)},
        'chartmine_heads': sd.HEADS, 'chartmine_max_body_tokens': sd.MAX_BODY,
        'chartmine_pooling': 'mean of window logits; window = ceil(n/126) near-equal slices of the text tokens',
    })
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    fp32 = os.path.join(out, 'onnx', 'model.onnx')
    q8 = os.path.join(out, 'onnx', 'model_quantized.onnx')
    ids = torch.randint(5, cfg.vocab_size, (2, 16))
    axes = {0: 'batch_size', 1: 'sequence_length'}
    torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), fp32,
                      input_names=['input_ids', 'attention_mask', 'token_type_ids'], output_names=['logits'],
                      dynamic_axes={'input_ids': axes, 'attention_mask': axes, 'token_type_ids': axes,
                                    'logits': {0: 'batch_size'}},
                      opset_version=14, do_constant_folding=True)
    ner_export.quantize(onnx, fp32, q8)
    info = {'name': name, 'version': version, 'checkpoint': os.path.basename(ckpt_path), 'files': {},
            'parity': parity_logits(torch, model, vocab)}
    for p in (fp32, q8):
        info['files'][os.path.relpath(p, out)] = {'bytes': os.path.getsize(p), 'sha256': sha256_file(p)}
    with open(os.path.join(out, 'files.json'), 'w') as f:
        json.dump(info, f, indent=2)
    print(json.dumps(info, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ckpt', required=True)
    ap.add_argument('--out', default=os.path.join(REPO, 'models', 'chartmine-sentiment'))
    ap.add_argument('--init', default=os.path.join(REPO, 'models', 'chartmine-ner'), help='folder with vocab.txt')
    ap.add_argument('--version', default='0.0.0-dev')
    args = ap.parse_args()
    export_folder(args.ckpt, args.out, args.init, args.version)


if __name__ == '__main__':
    main()
