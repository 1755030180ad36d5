"""Shared pieces of the Chartmine NER recipe: environment checks, data readers, the word splitter and WordPiece
tokenizer that mirror the TypeScript serving code, and a BERT encoder in plain torch with Hugging Face names.

Only the Python standard library, Debian's python3-torch and python3-onnx are used (no PyPI here).
"""
import csv
import gzip
import io
import json
import os
import re
import sys
import unicodedata
import base64

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
DEFAULT_DATA = os.path.abspath(os.path.join(REPO, '..', 'shared', 'data'))
DEFAULT_WORK = os.path.join(HERE, 'work')

SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
PAD, UNK, CLS, SEP, MASK = range(5)
LABELS = ['O', 'B-PROBLEM', 'I-PROBLEM', 'B-DRUG', 'I-DRUG', 'B-TEST', 'I-TEST']
LABEL2ID = {l: i for i, l in enumerate(LABELS)}
# BC5CDR / NCBI types -> ours.
SOURCE_TYPE_MAP = {'Disease': 'PROBLEM', 'Chemical': 'DRUG'}

# The 3 held-out Synthea patients (synthea-fhir/SOURCE.md): never read their notes.
SYNTHEA_HELD_OUT = {
    'a5cb8ce9-cec6-6b23-0990-cbaf753578a4',
    'ca15b832-01e4-41dd-6a52-97bd3e5510cb',
    '8e1a0a7c-e308-444b-075a-3c2b1f60f881',
}


def die(msg):
    sys.stderr.write('error: ' + msg + '\n')
    sys.exit(2)


def check_torch(threads=2, cpu_blas=True):
    """Imports torch, checks that a fast BLAS is in use (when training on the CPU), sets the thread count. Says what
    to install if not."""
    try:
        import torch  # noqa: F401
    except ImportError:
        die('torch is missing. Run with /usr/bin/python3 (Debian) after: apt-get install -y python3-torch python3-onnx '
            'libopenblas0-openmp')
    import torch
    import time
    torch.set_num_threads(threads)
    if not cpu_blas:
        return torch
    a = torch.randn(512, 256)
    b = torch.randn(256, 512)
    a @ b
    t = time.time()
    for _ in range(20):
        a @ b
    gflops = 2 * 512 * 256 * 512 * 20 / max(time.time() - t, 1e-9) / 1e9
    try:
        with open('/proc/self/maps') as f:
            fast_blas = any(k in f.read() for k in ('openblas', 'libmkl', 'blis'))
    except OSError:
        fast_blas = gflops >= 20
    if not fast_blas:
        die('torch uses the reference BLAS (matmul at %.1f GFLOPS). apt-get install -y libopenblas0-openmp '
            '(about 20-40x faster)' % gflops)
    return torch


def check_onnx():
    try:
        import onnx  # noqa: F401
    except ImportError:
        die('onnx is missing: apt-get install -y python3-onnx, and run with /usr/bin/python3')
    import onnx
    return onnx


def data_path(data_dir, *parts, required=True):
    p = os.path.join(data_dir, *parts)
    if required and not os.path.exists(p):
        die('missing data file %s (expected the shared data folder; pass --data DIR)' % p)
    return p


# ---------------------------------------------------------------- word splitting and WordPiece (mirrors the TS side)

def _is_word_char(ch):
    return unicodedata.category(ch)[0] in 'LNM'


# JavaScript's \s: WhiteSpace + LineTerminator (ECMAScript), used by the TS regex.
_JS_SPACE = set('\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a'
                '\u2028\u2029\u202f\u205f\u3000\ufeff')


def split_words(text):
    """[(start, end)] of words, like the TS regex /[\\p{L}\\p{N}\\p{M}]+|[^\\s\\p{L}\\p{N}\\p{M}]/gu (code points)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if _is_word_char(ch):
            j = i + 1
            while j < n and _is_word_char(text[j]):
                j += 1
            out.append((i, j))
            i = j
        elif ch in _JS_SPACE:
            i += 1
        else:
            out.append((i, i + 1))
            i += 1
    return out


def normalize(word):
    """BertNormalizer(clean_text, handle_chinese_chars, strip_accents=lowercase, lowercase) for one word."""
    chars = []
    for ch in word:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith('C') and ch not in '\t\n\r'):
            continue
        chars.append(ch)
    s = unicodedata.normalize('NFD', ''.join(chars))
    s = ''.join(c for c in s if unicodedata.category(c) != 'Mn')
    return s.lower()


class WordPiece:
    def __init__(self, vocab):
        self.vocab = vocab  # list of tokens, index = id
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.cache = {}

    @staticmethod
    def load(path):
        with open(path, encoding='utf-8') as f:
            return WordPiece([line.rstrip('\n') for line in f])

    def encode_word(self, word):
        """Token ids of one word (already a single word from split_words)."""
        hit = self.cache.get(word)
        if hit is not None:
            return hit
        norm = normalize(word)
        # The Bert pre-tokenizer inside the tokenizer splits again on whitespace/punctuation; our words never
        # contain either after normalisation except in exotic cases, which we split the same way.
        ids = []
        for piece in _bert_pretokenize(norm):
            ids.extend(self._wordpiece(piece))
        if len(self.cache) < 500000:
            self.cache[word] = ids
        return ids

    def _wordpiece(self, w):
        if len(w) > 100:
            return [UNK]
        out = []
        start = 0
        while start < len(w):
            end = len(w)
            cur = None
            while start < end:
                sub = w[start:end]
                if start > 0:
                    sub = '##' + sub
                if sub in self.ids:
                    cur = self.ids[sub]
                    break
                end -= 1
            if cur is None:
                return [UNK]
            out.append(cur)
            start = end
        return out


def _is_bert_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith('P')


def _bert_pretokenize(s):
    out, cur = [], []
    for ch in s:
        if ch.isspace():
            if cur:
                out.append(''.join(cur))
                cur = []
        elif _is_bert_punct(ch):
            if cur:
                out.append(''.join(cur))
                cur = []
            out.append(ch)
        else:
            cur.append(ch)
    if cur:
        out.append(''.join(cur))
    return out


# ---------------------------------------------------------------- data readers

def read_iob(path):
    """Sentences as (tokens, tags) from a token<TAB>tag file."""
    sents, toks, tags = [], [], []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip():
                if toks:
                    sents.append((toks, tags))
                    toks, tags = [], []
                continue
            parts = line.split('\t')
            toks.append(parts[0])
            tags.append(parts[-1] if len(parts) > 1 else 'O')
    if toks:
        sents.append((toks, tags))
    return sents


def iob_to_text(tokens, tags):
    """Joins tokens with single spaces; returns text and gold entities [(start, end, TYPE)] in our label space."""
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t) + 1
    text = ' '.join(tokens)
    ents = []
    cur = None
    for i, tag in enumerate(tags):
        if tag.startswith('B-') or (tag.startswith('I-') and (cur is None or cur[2] != SOURCE_TYPE_MAP.get(tag[2:], tag[2:]))):
            if cur:
                ents.append(tuple(cur))
            cur = [starts[i], starts[i] + len(tokens[i]), SOURCE_TYPE_MAP.get(tag[2:], tag[2:])]
        elif tag.startswith('I-') and cur is not None:
            cur[1] = starts[i] + len(tokens[i])
        else:
            if cur:
                ents.append(tuple(cur))
            cur = None
    if cur:
        ents.append(tuple(cur))
    return text, ents


def read_mtsamples(data_dir):
    """[(note_id, transcription)] of all notes (the caller filters the evaluation split note_id % 5 == 0)."""
    p = data_path(data_dir, 'mtsamples', 'mtsamples.csv.gz')
    with gzip.open(p, 'rt', encoding='utf-8', newline='') as f:
        rows = list(csv.DictReader(f))
    return [(int(r['note_id']), r['transcription'] or '') for r in rows]


def mtsamples_train(data_dir):
    return [(i, t) for i, t in read_mtsamples(data_dir) if i % 5 != 0 and t.strip()]


def clean_mtsamples(text):
    """MTSamples joins lines with ',' after headers ("HISTORY:, text"); turn those into line breaks."""
    return text.replace(':,', ':\n').replace('.,', '.\n')


def synthea_notes(data_dir, held_out=False):
    """[(patient_id, text)] of Synthea notes; development patients only unless held_out is True."""
    p = data_path(data_dir, 'synthea-fhir', 'bulk-10-patients', 'DocumentReference.000.ndjson')
    out = []
    with open(p, encoding='utf-8') as f:
        for line in f:
            r = json.loads(line)
            pid = r['subject']['reference'].split('/')[-1]
            if (pid in SYNTHEA_HELD_OUT) != held_out:
                continue
            data = r['content'][0]['attachment'].get('data')
            if data:
                out.append((pid, base64.b64decode(data).decode('utf-8')))
    return out


_SENT_BREAK = re.compile(r'(?<=[.?!])\s+(?=[A-Z0-9"(\[])')


def split_sentences(text):
    """A simple sentence/line splitter for unlabeled text: line breaks, then [.?!] + space + capital or digit."""
    out = []
    for line in text.split('\n'):
        for seg in _SENT_BREAK.split(line):
            seg = seg.strip()
            if seg:
                out.append(seg)
    return out


def sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()
