"""Step 4 of the recipe: export a fine-tuned checkpoint as a transformers.js model folder:
config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt, onnx/model.onnx (fp32,
opset 14) and onnx/model_quantized.onnx (int8: dynamic-quantised MatMuls with per-channel symmetric int8 weights and
an int8 word-embedding table gathered before it is dequantized; what onnxruntime's quantize_dynamic does, written
with python3-onnx only).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DEFAULT_WORK, LABELS, SPECIALS, check_onnx, check_torch, sha256_file  # noqa: E402


def write_hf_files(out, cfg, vocab, name, version, max_len):
    id2label = {str(i): l for i, l in enumerate(LABELS)}
    config = {
        'architectures': ['BertForTokenClassification'], 'model_type': 'bert', '_name_or_path': name,
        'chartmine_version': version,
        'vocab_size': cfg.vocab_size, 'hidden_size': cfg.hidden_size, 'num_hidden_layers': cfg.num_hidden_layers,
        'num_attention_heads': cfg.num_attention_heads, 'intermediate_size': cfg.intermediate_size,
        'hidden_act': 'gelu', 'hidden_dropout_prob': 0.1, 'attention_probs_dropout_prob': 0.1,
        'max_position_embeddings': cfg.max_position_embeddings, 'type_vocab_size': cfg.type_vocab_size,
        'initializer_range': 0.02, 'layer_norm_eps': cfg.layer_norm_eps, 'pad_token_id': 0,
        'position_embedding_type': 'absolute', 'id2label': id2label, 'label2id': {l: i for i, l in enumerate(LABELS)},
    }
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    added = [{'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False,
              'special': True} for i, t in enumerate(SPECIALS)]
    tok = {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': added,
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True,
                       'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                       {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                     {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}, {'Sequence': {'id': 'B', 'type_id': 1}},
                     {'SpecialToken': {'id': '[SEP]', 'type_id': 1}}],
            'special_tokens': {t: {'id': t, 'ids': [SPECIALS.index(t)], 'tokens': [t]} for t in ('[CLS]', '[SEP]')},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': {t: i for i, t in enumerate(vocab)}},
    }
    with open(os.path.join(out, 'tokenizer.json'), 'w', encoding='utf-8') as f:
        json.dump(tok, f, ensure_ascii=False)
    tcfg = {'tokenizer_class': 'BertTokenizer', 'do_lower_case': True, 'strip_accents': None,
            'tokenize_chinese_chars': True, 'model_max_length': max_len, 'cls_token': '[CLS]', 'sep_token': '[SEP]',
            'pad_token': '[PAD]', 'unk_token': '[UNK]', 'mask_token': '[MASK]', 'clean_up_tokenization_spaces': True}
    with open(os.path.join(out, 'tokenizer_config.json'), 'w') as f:
        json.dump(tcfg, f, indent=2)
    with open(os.path.join(out, 'special_tokens_map.json'), 'w') as f:
        json.dump({'cls_token': '[CLS]', 'sep_token': '[SEP]', 'pad_token': '[PAD]', 'unk_token': '[UNK]',
                   'mask_token': '[MASK]'}, f, indent=2)
    with open(os.path.join(out, 'vocab.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(vocab) + '\n')


def export_onnx(torch, model, path, vocab_size):
    model.eval()
    ids = torch.randint(5, vocab_size, (2, 16))
    mask = torch.ones_like(ids)
    tt = torch.zeros_like(ids)
    axes = {0: 'batch_size', 1: 'sequence_length'}
    torch.onnx.export(model, (ids, mask, tt), path, input_names=['input_ids', 'attention_mask', 'token_type_ids'],
                      output_names=['logits'], dynamic_axes={'input_ids': axes, 'attention_mask': axes,
                                                             'token_type_ids': axes, 'logits': axes},
                      opset_version=14, do_constant_folding=True)


def quantize(onnx, src, dst):
    """Dynamic int8 quantisation: MatMul(x, W) -> DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, W_s8) -> Cast ->
    Mul(x_scale * w_scale[col]) (per output channel, symmetric weights); word embeddings stored as int8 per row."""
    import numpy as np
    from onnx import helper, numpy_helper, TensorProto
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    new_nodes, drop = [], set()
    for node in g.node:
        if node.op_type == 'MatMul' and node.input[1] in inits:
            w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
            if w.ndim != 2:
                new_nodes.append(node)
                continue
            scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0
            wq = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
            base = node.input[1]
            drop.add(base)
            g.initializer.extend([numpy_helper.from_array(wq, base + '_q'),
                                  numpy_helper.from_array(scale.astype(np.float32), base + '_scale')])
            x = node.input[0]
            p = node.name or base
            new_nodes += [
                helper.make_node('DynamicQuantizeLinear', [x], [p + '_xq', p + '_xs', p + '_xz'], name=p + '_dql'),
                helper.make_node('MatMulInteger', [p + '_xq', base + '_q', p + '_xz'], [p + '_mmi'], name=p + '_mmi'),
                helper.make_node('Cast', [p + '_mmi'], [p + '_mmf'], to=TensorProto.FLOAT, name=p + '_cast'),
                helper.make_node('Mul', [p + '_xs', base + '_scale'], [p + '_s'], name=p + '_scale'),
                helper.make_node('Mul', [p + '_mmf', p + '_s'], [node.output[0]], name=p + '_mul'),
            ]
        elif node.op_type == 'Gather' and node.input[0] in inits and \
                numpy_helper.to_array(inits[node.input[0]]).shape[0] > 1000:
            table = numpy_helper.to_array(inits[node.input[0]]).astype(np.float32)
            base = node.input[0]
            drop.add(base)
            # per-tensor symmetric (DequantizeLinear in opset 14 takes a scalar scale)
            scale = np.float32(max(np.abs(table).max(), 1e-8) / 127.0)
            tq = np.clip(np.round(table / scale), -127, 127).astype(np.int8)
            g.initializer.extend([numpy_helper.from_array(tq, base + '_q'),
                                  numpy_helper.from_array(np.array(scale, dtype=np.float32), base + '_scale'),
                                  numpy_helper.from_array(np.array(0, dtype=np.int8), base + '_zp')])
            # Gather the int8 rows first, then dequantize only those: dequantizing the whole table would cost a
            # full pass over it on every run (ORT does not constant-fold DequantizeLinear).
            new_nodes += [
                helper.make_node('Gather', [base + '_q', node.input[1]], [base + '_rows_q'], name=node.name, axis=0),
                helper.make_node('DequantizeLinear', [base + '_rows_q', base + '_scale', base + '_zp'],
                                 list(node.output), name=base + '_dequant'),
            ]
        else:
            new_nodes.append(node)
    keep = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.node[:]
    g.node.extend(new_nodes)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default=DEFAULT_WORK)
    ap.add_argument('--ckpt', required=True, help='fine-tuned checkpoint from finetune.py')
    ap.add_argument('--out', required=True, help='model folder, e.g. models/chartmine-ner')
    ap.add_argument('--name', default='chartmine-ner')
    ap.add_argument('--version', default='0.0.0-dev')
    ap.add_argument('--no-fp32', action='store_true', help='ship only the int8 file')
    args = ap.parse_args()
    torch = check_torch()
    onnx = check_onnx()
    from model import BertConfig, BertForTokenClassification
    ck = torch.load(args.ckpt)
    cfg = BertConfig.from_dict(ck['config'])
    model = BertForTokenClassification(cfg)
    model.load_state_dict(ck['model'])
    with open(os.path.join(args.work, 'vocab.txt'), encoding='utf-8') as f:
        vocab = [line.rstrip('\n') for line in f]
    os.makedirs(os.path.join(args.out, 'onnx'), exist_ok=True)
    write_hf_files(args.out, cfg, vocab, args.name, args.version, cfg.max_position_embeddings)
    fp32 = os.path.join(args.out, 'onnx', 'model.onnx')
    q8 = os.path.join(args.out, 'onnx', 'model_quantized.onnx')
    export_onnx(torch, model, fp32, cfg.vocab_size)
    quantize(onnx, fp32, q8)
    info = {'name': args.name, 'version': args.version, 'checkpoint': os.path.basename(args.ckpt),
            'files': {}}
    if args.no_fp32:
        os.remove(fp32)
    for p in (fp32, q8):
        if os.path.exists(p):
            info['files'][os.path.relpath(p, args.out)] = {'bytes': os.path.getsize(p), 'sha256': sha256_file(p)}
    with open(os.path.join(args.out, 'files.json'), 'w') as f:
        json.dump(info, f, indent=2)
    print(json.dumps(info, indent=1))


if __name__ == '__main__':
    main()
