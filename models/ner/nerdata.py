"""Labelled examples for fine-tuning and evaluation: words with exact offsets (the same splitter as the serving
code), word-level BIO labels, WordPiece features, BIO decoding and strict entity-level scoring."""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CLS, LABEL2ID, LABELS, PAD, SEP, SOURCE_TYPE_MAP, data_path, iob_to_text, read_iob, split_words  # noqa


class Example:
    """A text with gold entities [(start, end, TYPE)]; words and word labels are derived from them."""
    __slots__ = ('text', 'entities', 'words', 'labels', 'source', 'types')

    def __init__(self, text, entities, source, types):
        self.text = text
        self.entities = entities
        self.source = source
        self.types = types  # entity types this source annotates (others are neither rewarded nor penalised)
        self.words = split_words(text)
        self.labels = words_to_labels(self.words, entities)


def words_to_labels(words, entities):
    labels = ['O'] * len(words)
    for s, e, t in entities:
        first = True
        for i, (a, b) in enumerate(words):
            if a >= s and b <= e:
                labels[i] = ('B-' if first else 'I-') + t
                first = False
    return labels


def iob_examples(data_dir, corpus, split, types):
    path = data_path(data_dir, corpus, split + '.tsv')
    out = []
    for toks, tags in read_iob(path):
        text, ents = iob_to_text(toks, tags)
        out.append(Example(text, ents, '%s/%s' % (corpus, split), types))
    return out


SOURCES = {
    'bc5cdr-train': ('BC5CDR-IOB', 'train', ('PROBLEM', 'DRUG')),
    'bc5cdr-devel': ('BC5CDR-IOB', 'devel', ('PROBLEM', 'DRUG')),
    'ncbi-train': ('NCBI-disease-IOB', 'train', ('PROBLEM',)),
    'ncbi-devel': ('NCBI-disease-IOB', 'devel', ('PROBLEM',)),
}


def load_source(data_dir, name, work):
    if name in SOURCES:
        corpus, split, types = SOURCES[name]
        return iob_examples(data_dir, corpus, split, types)
    path = name if os.path.exists(name) else os.path.join(work, name)
    if not os.path.exists(path):
        raise SystemExit('error: unknown training source %s (neither a known corpus nor a file)' % name)
    out = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            r = json.loads(line)
            out.append(Example(r['text'], [tuple(e) for e in r['entities']], r.get('source', name),
                               tuple(r.get('types', ('PROBLEM', 'DRUG', 'TEST')))))
    return out


def windows(n_tokens_per_word, max_body, stride_words=None):
    """Splits a sentence's words into windows of at most max_body sub-tokens. Returns [(w0, w1, keep0, keep1)]:
    the window covers words [w0, w1) and is authoritative for words [keep0, keep1). Overlapping windows split the
    overlap in the middle, the same rule as the TypeScript serving code."""
    n = len(n_tokens_per_word)
    total = sum(n_tokens_per_word)
    if total <= max_body:
        return [(0, n, 0, n)]
    overlap = max_body // 4
    spans = []
    w0 = 0
    while True:
        used, w1 = 0, w0
        while w1 < n and used + n_tokens_per_word[w1] <= max_body:
            used += n_tokens_per_word[w1]
            w1 += 1
        if w1 == w0:  # a single word longer than the window: give it the window alone (truncated)
            w1 = w0 + 1
        spans.append([w0, w1])
        if w1 >= n:
            break
        # next window starts so that about `overlap` sub-tokens are shared
        back, k = 0, w1
        while k > w0 + 1 and back + n_tokens_per_word[k - 1] <= overlap:
            back += n_tokens_per_word[k - 1]
            k -= 1
        w0 = k
    out = []
    for i, (a, b) in enumerate(spans):
        keep0 = a if i == 0 else (spans[i - 1][1] + a + 1) // 2
        keep1 = b if i == len(spans) - 1 else (b + spans[i + 1][0] + 1) // 2
        out.append((a, b, keep0, keep1))
    return out


def featurize(examples, wp, max_len=128, train=True):
    """Feature rows: (input_ids, label_ids (-100 = ignore), word_index_of_first_subtoken, example_index, keep range).
    Training uses the same windows as inference."""
    feats = []
    for ei, ex in enumerate(examples):
        word_ids = [wp.encode_word(ex.text[a:b]) for a, b in ex.words]
        lens = [len(w) for w in word_ids]
        for w0, w1, k0, k1 in windows(lens, max_len - 2):
            ids, labs, first = [CLS], [-100], []
            for wi in range(w0, w1):
                piece = word_ids[wi][: max_len - 2]
                if not piece:
                    continue
                if len(ids) + len(piece) > max_len - 1:
                    break
                first.append((wi, len(ids)))
                lab = LABEL2ID[ex.labels[wi]]
                labs.append(lab)
                labs.extend([-100] * (len(piece) - 1))
                ids.extend(piece)
            ids.append(SEP)
            labs.append(-100)
            feats.append((ids, labs, first, ei, k0, k1))
    return feats


def batches(feats, batch_size, shuffle, rng=None, pool=50):
    """Length-bucketed batches: sort chunks of `pool` batches by length to cut padding."""
    order = list(range(len(feats)))
    if shuffle:
        rng.shuffle(order)
    out = []
    chunk = batch_size * pool
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: len(feats[i][0]))
        for b in range(0, len(part), batch_size):
            out.append(part[b:b + batch_size])
    if shuffle:
        rng.shuffle(out)
    return out


def collate(torch, feats, idx):
    L = max(len(feats[i][0]) for i in idx)
    ids = torch.full((len(idx), L), PAD, dtype=torch.long)
    labs = torch.full((len(idx), L), -100, dtype=torch.long)
    for r, i in enumerate(idx):
        f = feats[i]
        ids[r, :len(f[0])] = torch.tensor(f[0])
        labs[r, :len(f[1])] = torch.tensor(f[1])
    return ids, (ids != PAD).long(), labs


# ---------------------------------------------------------------- decoding and scoring

_ALLOWED = None


def _allowed():
    global _ALLOWED
    if _ALLOWED is None:
        n = len(LABELS)
        _ALLOWED = [[True] * n for _ in range(n)]
        for i, a in enumerate(LABELS):
            for j, b in enumerate(LABELS):
                if b.startswith('I-') and not (a != 'O' and a[2:] == b[2:]):
                    _ALLOWED[i][j] = False
    return _ALLOWED


def viterbi(logprobs, crf=None):
    """Best BIO-valid label sequence for word-level log-probabilities [[float]*7]. With `crf` ({'transitions' [from][to],
    'start', 'end'} from finetune.py --crf) the learned scores are added to the path score; the BIO constraint stays."""
    allowed = _allowed()
    n = len(LABELS)
    if not logprobs:
        return []
    neg = -1e9
    trans = crf['transitions'] if crf else [[0.0] * n for _ in range(n)]
    start = crf['start'] if crf else [0.0] * n
    score = [lp + start[j] if not LABELS[j].startswith('I-') else neg for j, lp in enumerate(logprobs[0])]
    back = []
    for t in range(1, len(logprobs)):
        new, ptr = [], []
        for j in range(n):
            best, arg = neg * 2, 0
            for i in range(n):
                if allowed[i][j] and score[i] + trans[i][j] > best:
                    best, arg = score[i] + trans[i][j], i
            new.append(best + logprobs[t][j])
            ptr.append(arg)
        score = new
        back.append(ptr)
    if crf:
        score = [s + e for s, e in zip(score, crf['end'])]
    j = max(range(n), key=lambda k: score[k])
    path = [j]
    for ptr in reversed(back):
        j = ptr[j]
        path.append(j)
    return [LABELS[k] for k in reversed(path)]


def labels_to_spans(words, labels):
    """Merges word labels into (start, end, TYPE); an I- that does not continue an entity starts one."""
    out, cur = [], None
    for (a, b), lab in zip(words, labels):
        if lab == 'O':
            if cur:
                out.append(tuple(cur))
            cur = None
            continue
        typ = lab[2:]
        if lab.startswith('B-') or cur is None or cur[2] != typ:
            if cur:
                out.append(tuple(cur))
            cur = [a, b, typ]
        else:
            cur[1] = b
    if cur:
        out.append(tuple(cur))
    return out


def predict(torch, model, examples, wp, batch_size=64, max_len=128, decode='viterbi', crf=None):
    """Entity spans per example, through the same windowing and first-sub-token rule as the serving code."""
    feats = featurize(examples, wp, max_len, train=False)
    word_lp = [dict() for _ in examples]
    model.eval()
    with torch.no_grad():
        for idx in batches(feats, batch_size, shuffle=False):
            ids, attn, _ = collate(torch, feats, idx)
            device = next(model.parameters()).device
            lp = torch.log_softmax(model(ids.to(device), attn.to(device)).float(), dim=-1).cpu()
            for r, i in enumerate(idx):
                _ids, _labs, first, ei, k0, k1 = feats[i]
                for wi, pos in first:
                    if k0 <= wi < k1:
                        word_lp[ei][wi] = lp[r, pos].tolist()
    out = []
    for ei, ex in enumerate(examples):
        ws = [(wi, ex.words[wi]) for wi in sorted(word_lp[ei])]
        lps = [word_lp[ei][wi] for wi, _ in ws]
        if decode == 'viterbi':
            labs = viterbi(lps, crf)
        else:
            labs = [LABELS[max(range(len(LABELS)), key=lambda k: lp[k])] for lp in lps]
        out.append(labels_to_spans([w for _, w in ws], labs))
    return out


def score(examples, predictions, types=None):
    """Strict (exact span + type) counts per type, only over types each example's source annotates."""
    counts = {}
    for ex, pred in zip(examples, predictions):
        for t in ex.types:
            if types and t not in types:
                continue
            g = {(s, e) for s, e, tt in ex.entities if tt == t}
            p = {(s, e) for s, e, tt in pred if tt == t}
            c = counts.setdefault(t, [0, 0, 0])
            c[0] += len(g & p)
            c[1] += len(p - g)
            c[2] += len(g - p)
    rows = {}
    tot = [0, 0, 0]
    for t, (tp, fp, fn) in sorted(counts.items()):
        rows[t] = prf(tp, fp, fn)
        tot = [tot[0] + tp, tot[1] + fp, tot[2] + fn]
    rows['ALL'] = prf(*tot)
    return rows


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {'tp': tp, 'fp': fp, 'fn': fn, 'p': round(p, 4), 'r': round(r, 4), 'f1': round(f, 4)}
