"""The sentiment model: the NER recipe's BERT encoder, a masked mean pool over each window, and one linear layer
with all heads side by side (layout in sentdata.HEADS). A review's logits are the mean of its windows' logits, in
training and at inference."""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ner'))
from model import Bert, BertConfig, init_weights  # noqa: E402,F401


class BertForSentiment(nn.Module):
    def __init__(self, c, num_outputs):
        super().__init__()
        self.config = c
        self.bert = Bert(c)
        self.pooler = nn.Module()
        self.pooler.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.hidden_size, num_outputs)
        init_weights(self)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        h = self.bert(input_ids, attention_mask, token_type_ids)
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.classifier(self.dropout(torch.tanh(self.pooler.dense(pooled))))


def encoder_from_onnx(onnx_path):
    """The encoder weights of an exported BERT (the shipped NER model's fp32 file) as a torch state dict with Hugging
    Face names: named initializers are copied; the anonymous MatMul weights get the name of the bias their Add uses
    (transposed back to torch's [out, in])."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(onnx_path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    consumers = {}
    for node in m.graph.node:
        for x in node.input:
            consumers.setdefault(x, []).append(node)
    state = {k: torch.tensor(v.copy()) for k, v in inits.items() if k.startswith('bert.')}
    for node in m.graph.node:
        if node.op_type != 'MatMul' or node.input[1] not in inits or node.input[1].startswith('bert.'):
            continue
        for add in consumers.get(node.output[0], []):
            bias = [x for x in add.input if x.endswith('.bias') and x in inits]
            if add.op_type == 'Add' and bias:
                state[bias[0][:-len('.bias')] + '.weight'] = torch.tensor(inits[node.input[1]].T.copy())
    return {k: v for k, v in state.items() if k.startswith('bert.')}
