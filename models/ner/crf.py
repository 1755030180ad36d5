"""A linear-chain CRF over words (their first sub-tokens' logits), for finetune.py --crf.

Scores: start[y0] + sum_t emission[t, y_t] + sum_t transitions[y_{t-1}, y_t] + end[y_last]. Training minimises the
negative log-likelihood of the gold word labels; the partition runs over every label sequence, so the caller removes a
source's un-annotated types by adding a large negative penalty to their emissions (the same partial-annotation
masking as the softmax loss). Decoding (nerdata.viterbi) adds the learned scores to the word log-probabilities and
keeps the hard BIO constraint; a per-word constant (log-softmax vs logits) does not change the best path.
"""
import torch
from torch import nn


class CRF(nn.Module):
    def __init__(self, num_labels):
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(num_labels, num_labels))  # [from, to]
        self.start = nn.Parameter(torch.zeros(num_labels))
        self.end = nn.Parameter(torch.zeros(num_labels))

    def nll(self, emissions, tags, mask):
        """Summed negative log-likelihood. emissions [B, M, L] float, tags [B, M] long, mask [B, M] bool with each
        row's words left-aligned (mask[:, 0] all True)."""
        b, m, _ = emissions.shape
        maskf = mask.to(emissions.dtype)
        rows = torch.arange(b, device=emissions.device)
        gold = self.start[tags[:, 0]] + emissions[rows, 0, tags[:, 0]]
        for t in range(1, m):
            step = self.transitions[tags[:, t - 1], tags[:, t]] + emissions[rows, t, tags[:, t]]
            gold = gold + step * maskf[:, t]
        last = tags[rows, mask.long().sum(1) - 1]
        gold = gold + self.end[last]
        alpha = self.start.unsqueeze(0) + emissions[:, 0]
        for t in range(1, m):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions.unsqueeze(0), dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t:t + 1], nxt, alpha)
        log_z = torch.logsumexp(alpha + self.end.unsqueeze(0), dim=1)
        return (log_z - gold).sum()

    def to_lists(self):
        return {'transitions': self.transitions.detach().cpu().tolist(), 'start': self.start.detach().cpu().tolist(),
                'end': self.end.detach().cpu().tolist()}


def word_emissions(logits, labels):
    """Left-aligns the logits of labelled positions (words' first sub-tokens: labels != -100) per row.
    Returns emissions [B, M, L], tags [B, M] (0 where padded), mask [B, M]."""
    keep = labels != -100
    counts = keep.long().sum(1)
    m = max(1, int(counts.max().item()))
    b, _, n = logits.shape
    em = logits.new_zeros(b, m, n)
    tags = torch.zeros(b, m, dtype=torch.long, device=logits.device)
    mask = torch.zeros(b, m, dtype=torch.bool, device=logits.device)
    for r in range(b):
        pos = keep[r].nonzero(as_tuple=True)[0]
        k = pos.numel()
        if k:
            em[r, :k] = logits[r, pos]
            tags[r, :k] = labels[r, pos]
            mask[r, :k] = True
    return em, tags, mask, counts


def _self_check():
    """`python3 models/ner/crf.py`: the NLL and nerdata.viterbi's CRF path against brute-force enumeration."""
    import itertools
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from nerdata import _allowed, viterbi
    from common import LABELS
    g = torch.Generator().manual_seed(1)
    n = 4
    crf = CRF(n)
    with torch.no_grad():
        for p in crf.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    em = torch.randn(2, 3, n, generator=g)
    tags = torch.tensor([[1, 2, 0], [3, 0, 0]])
    mask = torch.tensor([[True, True, True], [True, True, False]])
    want = 0.0
    for r, m in ((0, 3), (1, 2)):
        def path_score(ys):
            s = crf.start[ys[0]] + em[r, 0, ys[0]] + crf.end[ys[-1]]
            for t in range(1, m):
                s = s + crf.transitions[ys[t - 1], ys[t]] + em[r, t, ys[t]]
            return s
        log_z = torch.logsumexp(torch.stack([path_score(ys) for ys in itertools.product(range(n), repeat=m)]), 0)
        want += float(log_z - path_score(tags[r, :m].tolist()))
    got = float(crf.nll(em, tags, mask))
    assert abs(got - want) < 1e-4, (got, want)
    # Viterbi with learned scores keeps the BIO constraint and finds the best allowed path.
    k = len(LABELS)
    scores = {'transitions': torch.randn(k, k, generator=g).tolist(), 'start': torch.randn(k, generator=g).tolist(),
              'end': torch.randn(k, generator=g).tolist()}
    lps = torch.randn(4, k, generator=g).tolist()
    allowed = _allowed()
    best, arg = -1e18, None
    for ys in itertools.product(range(k), repeat=4):
        if LABELS[ys[0]].startswith('I-') or not all(allowed[a][b] for a, b in zip(ys, ys[1:])):
            continue
        s = scores['start'][ys[0]] + scores['end'][ys[-1]] + sum(lps[t][y] for t, y in enumerate(ys)) + \
            sum(scores['transitions'][a][b] for a, b in zip(ys, ys[1:]))
        if s > best:
            best, arg = s, [LABELS[y] for y in ys]
    assert viterbi(lps, scores) == arg, (viterbi(lps, scores), arg)
    print('crf self-check ok: nll %.4f = brute force %.4f; viterbi = best allowed path' % (got, want))


if __name__ == '__main__':
    _self_check()
