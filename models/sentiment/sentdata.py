"""Druglib reviews for the Chartmine sentiment recipe: the TSV reader, labels (polarity from the rating, side-effect
severity, effectiveness), the review text the product sees, and windows of WordPiece ids that mirror the TypeScript
serving code (src/feedback/sentiment-inference.ts).

drugLibTest_raw.tsv is never read here: train.py holds out part of drugLibTrain for tuning (`devel_split`).
"""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ner'))
from common import CLS, SEP, data_path, split_words  # noqa: E402

POLARITY = ['negative', 'neutral', 'positive']
SEVERITY = ['No Side Effects', 'Mild Side Effects', 'Moderate Side Effects', 'Severe Side Effects',
            'Extremely Severe Side Effects']
EFFECTIVENESS = ['Ineffective', 'Marginally Effective', 'Moderately Effective', 'Considerably Effective',
                 'Highly Effective']
FIELDS = ('benefitsReview', 'sideEffectsReview', 'commentsReview')
# Output layout of the model's `logits` (also written to config.json as chartmine_heads).
HEADS = {'polarity': [0, 3], 'severity': [3, 8], 'effectiveness': [8, 13], 'rating': [13, 14]}
NUM_OUTPUTS = 14
# Tokens per window between [CLS] and [SEP] (the encoder has 128 positions).
MAX_BODY = 126


def polarity_of(rating):
    return 2 if rating >= 7 else (1 if rating >= 5 else 0)


def rating_target(rating):
    """The rating head's target: rating 1..10 scaled to -1..1."""
    return (rating - 5.5) / 4.5


def review_text(row):
    """The text a review is classified as: its three free-text fields, trimmed, one per line (as the eval builds it)."""
    return '\n'.join(t for t in ((row.get(f) or '').strip() for f in FIELDS) if t)


def read_druglib(data_dir, split='train'):
    if split != 'train':
        raise SystemExit('error: the recipe reads drugLibTrain_raw.tsv only (the test split is for the final report)')
    p = data_path(data_dir, 'druglib-reviews', 'drugLibTrain_raw.tsv')
    csv.field_size_limit(1 << 24)
    with open(p, encoding='utf-8', newline='') as f:
        rows = list(csv.DictReader(f, delimiter='\t'))
    out = []
    for r in rows:
        rating = int(r['rating'])
        out.append({
            'id': int(r['reviewID']), 'text': review_text(r), 'rating': rating, 'polarity': polarity_of(rating),
            'severity': SEVERITY.index(r['sideEffects'].strip()),
            'effectiveness': EFFECTIVENESS.index(r['effectiveness'].strip()),
        })
    return out


def devel_split(reviews, fold, folds=5):
    """(train, devel): devel = reviews whose id % folds == fold (fold < 0: no devel, all reviews train)."""
    if fold < 0:
        return reviews, []
    return [r for r in reviews if r['id'] % folds != fold], [r for r in reviews if r['id'] % folds == fold]


def token_ids(wp, text):
    ids = []
    for s, e in split_words(text):
        ids.extend(wp.encode_word(text[s:e]))
    return ids


def windows(ids, max_body=MAX_BODY):
    """Splits a token sequence into ceil(n / max_body) near-equal consecutive windows, each wrapped in [CLS] .. [SEP].
    An empty sequence gives one [CLS] [SEP] window."""
    n = len(ids)
    k = max(1, -(-n // max_body))
    out = []
    for i in range(k):
        a, b = (n * i) // k, (n * (i + 1)) // k
        out.append([CLS] + ids[a:b] + [SEP])
    return out


def macro_f1(gold, pred, classes):
    f1s = []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, pred) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, pred) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, pred) if g == c and p != c)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / len(f1s)
