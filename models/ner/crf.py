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
