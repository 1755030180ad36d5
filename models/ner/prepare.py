"""Step 1 of the recipe: collect the unlabeled pre-training text (training splits only), learn a WordPiece vocabulary
from it, and encode it for masked-LM pre-training.

Sources (never the evaluation splits): MTSamples notes with note_id % 5 != 0; BC5CDR and NCBI-disease train + devel
sentences; Synthea notes of the 10 development patients (sentences de-duplicated: the notes are templated). With
--more-text (the `gpu` preset) also the druglib reviews' training split (benefits, side effects, comments) and the
clinical-notes-gold `dev/` notes (never `test/`), when present.

Outputs in --work: corpus.txt (one sentence a line, blank line between documents), vocab.txt, pretrain.pt.
"""
import argparse
import collections
import csv
import heapq
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (DEFAULT_DATA, DEFAULT_WORK, SPECIALS, CLS, SEP, WordPiece, check_torch, clean_mtsamples,  # noqa: E402
                    data_path, mtsamples_train, normalize, read_iob, split_sentences, split_words, synthea_notes,
                    _bert_pretokenize)


def druglib_train(data_dir):
    """Review texts of drugLibTrain_raw.tsv (never drugLibTest_raw.tsv): one document per review."""
    p = data_path(data_dir, 'druglib-reviews', 'drugLibTrain_raw.tsv')
    with open(p, encoding='utf-8', newline='') as f:
        rows = list(csv.DictReader(f, delimiter='\t'))
    out = []
    for r in rows:
        text = '\n'.join((r.get(k) or '').strip() for k in ('benefitsReview', 'sideEffectsReview', 'commentsReview'))
        if text.strip():
            out.append(text)
    return out


def gold_dev_notes(data_dir):
    """Texts of clinical-notes-gold/dev/notes/*.txt, sorted by name. The test split is never listed."""
    d = data_path(data_dir, 'clinical-notes-gold', 'dev', 'notes')
    return [open(os.path.join(d, n), encoding='utf-8').read() for n in sorted(os.listdir(d)) if n.endswith('.txt')]


def collect_documents(data_dir, more_text=False):
    """[(source, [sentence, ...])] in a fixed order."""
    docs = []
    for note_id, text in mtsamples_train(data_dir):
        docs.append(('mtsamples', split_sentences(clean_mtsamples(text))))
    for corpus in ('BC5CDR-IOB', 'NCBI-disease-IOB'):
        for split in ('train', 'devel'):
            sents = [' '.join(toks) for toks, _ in read_iob(data_path(data_dir, corpus, split + '.tsv'))]
            # No document boundaries in the IOB files: chunks of 10 sentences (about one abstract).
            for i in range(0, len(sents), 10):
                docs.append((corpus, sents[i:i + 10]))
    seen = set()
    for _pid, text in synthea_notes(data_dir):
        sents = [s for s in split_sentences(text) if s not in seen]
        seen.update(sents)
        if sents:
            docs.append(('synthea', sents))
    if more_text:
        for text in druglib_train(data_dir):
            docs.append(('druglib', split_sentences(text)))
        for text in gold_dev_notes(data_dir):
            docs.append(('notes-gold-dev', split_sentences(text)))
    return docs


def learn_wordpiece(word_counts, vocab_size, min_char_count=3):
    """BPE merges over words with '##' continuation symbols (what HF's WordPiece trainer does)."""
    chars = collections.Counter()
    for w, c in word_counts.items():
        for ch in w:
            chars[ch] += c
    alphabet = sorted(ch for ch, c in chars.items() if c >= min_char_count)
    for cp in range(33, 127):  # every printable ASCII character, lower-cased
        ch = chr(cp).lower()
        if ch not in alphabet:
            alphabet.append(ch)
    alphabet = sorted(set(alphabet))
    alpha_set = set(alphabet)
    vocab = list(SPECIALS) + alphabet + ['##' + ch for ch in alphabet if '##' + ch not in alphabet]
    in_vocab = set(vocab)
    words, counts = [], []
    for w, c in word_counts.items():
        if all(ch in alpha_set for ch in w):
            words.append([w[0]] + ['##' + ch for ch in w[1:]])
            counts.append(c)
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for i, syms in enumerate(words):
        for a, b in zip(syms, syms[1:]):
            pairs[(a, b)] += counts[i]
            where[(a, b)].add(i)
    heap = [(-c, p) for p, c in pairs.items()]
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        if pairs.get(pair, 0) != -negc or -negc < 2:
            if pairs.get(pair, 0) >= 2 and pairs[pair] != -negc:
                heapq.heappush(heap, (-pairs[pair], pair))
            continue
        a, b = pair
        merged = a + b[2:]
        if merged not in in_vocab:
            vocab.append(merged)
            in_vocab.add(merged)
        changed = collections.Counter()
        for i in list(where[pair]):
            syms = words[i]
            c = counts[i]
            for x, y in zip(syms, syms[1:]):
                changed[(x, y)] -= c
                where[(x, y)].discard(i)
            out, j = [], 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == a and syms[j + 1] == b:
                    out.append(merged)
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            words[i] = out
            for x, y in zip(out, out[1:]):
                changed[(x, y)] += c
                where[(x, y)].add(i)
        for p, d in changed.items():
            if d == 0:
                continue
            pairs[p] += d
            if pairs[p] <= 0:
                del pairs[p]
            elif d > 0:
                heapq.heappush(heap, (-pairs[p], p))
        pairs.pop(pair, None)
    return vocab


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=DEFAULT_DATA, help='shared data folder (default ../shared/data)')
    ap.add_argument('--work', default=DEFAULT_WORK)
    ap.add_argument('--vocab-size', type=int, default=16000)
    ap.add_argument('--seq-len', type=int, default=128)
    ap.add_argument('--more-text', action='store_true',
                    help='add the druglib training reviews and the clinical-notes-gold dev notes')
    args = ap.parse_args()
    torch = check_torch()
    os.makedirs(args.work, exist_ok=True)
    t0 = time.time()
    docs = collect_documents(args.data, args.more_text)
    by_source = collections.Counter()
    with open(os.path.join(args.work, 'corpus.txt'), 'w', encoding='utf-8') as f:
        for src, sents in docs:
            for s in sents:
                f.write(s.replace('\n', ' ') + '\n')
                by_source[src] += len(split_words(s))
            f.write('\n')
    print('documents %d, words by source %s' % (len(docs), dict(by_source)))

    counts = collections.Counter()
    for _src, sents in docs:
        for s in sents:
            for a, b in split_words(s):
                for piece in _bert_pretokenize(normalize(s[a:b])):
                    counts[piece] += 1
    vocab = learn_wordpiece(counts, args.vocab_size)
    with open(os.path.join(args.work, 'vocab.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(vocab) + '\n')
    print('vocab %d (%.0f s)' % (len(vocab), time.time() - t0))

    wp = WordPiece(vocab)
    # Pack documents into sequences of seq_len tokens: [CLS] tokens... [SEP]; word_start marks whole words.
    body = args.seq_len - 2
    seqs, starts, sources = [], [], []
    cur_ids, cur_ws = [], []
    src_names = sorted(by_source)
    n_tok = n_unk = 0

    src = None

    def flush():
        if len(cur_ids) >= 8:
            seqs.append([CLS] + cur_ids + [SEP] + [0] * (body - len(cur_ids)))
            starts.append([0] + cur_ws + [0] + [0] * (body - len(cur_ws)))
            sources.append(src_names.index(src))

    for src, sents in docs:
        for s in sents:
            for a, b in split_words(s):
                ids = wp.encode_word(s[a:b])
                if not ids:
                    continue
                n_tok += len(ids)
                n_unk += sum(1 for i in ids if i == 1)
                if len(cur_ids) + len(ids) > body:
                    flush()
                    cur_ids, cur_ws = [], []
                if len(ids) > body:
                    ids = ids[:body]
                cur_ids.extend(ids)
                cur_ws.extend([1] + [0] * (len(ids) - 1))
        flush()  # documents do not share a sequence
        cur_ids, cur_ws = [], []
    ids_t = torch.tensor(seqs, dtype=torch.int16)
    ws_t = torch.tensor(starts, dtype=torch.bool)
    torch.save({'ids': ids_t, 'word_start': ws_t, 'source': torch.tensor(sources, dtype=torch.int8),
                'source_names': src_names, 'vocab_size': len(vocab)}, os.path.join(args.work, 'pretrain.pt'))
    print('pre-training tokens %d (unk %.3f%%), sequences %d x %d (%.0f s)'
          % (n_tok, 100.0 * n_unk / max(n_tok, 1), len(seqs), args.seq_len, time.time() - t0))


if __name__ == '__main__':
    main()
