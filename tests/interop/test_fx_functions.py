"""Functional calls and tensor methods: each maps onto its layer and computes the same thing."""

import operator

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from netbuilder import import_module


class Fn(nn.Module):
    """A module whose forward is ``fn(self, x)``: one functional call under test."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(self, x)


IMAGE, SEQUENCE = (2, 3, 6, 6), (2, 4, 6)
CASES = {  # name: (forward, input shape, node types after the Input, params of the last node or None)
    "F.relu": (lambda m, x: F.relu(x), IMAGE, ["ReLU"], None),
    "torch.relu": (lambda m, x: torch.relu(x), IMAGE, ["ReLU"], None),
    "Tensor.relu": (lambda m, x: x.relu(), IMAGE, ["ReLU"], None),
    "F.gelu": (lambda m, x: F.gelu(x, approximate="tanh"), IMAGE, ["GELU"], {"approximate": "tanh"}),
    "torch.sigmoid": (lambda m, x: torch.sigmoid(x), IMAGE, ["Sigmoid"], None),
    "Tensor.tanh": (lambda m, x: x.tanh(), IMAGE, ["Tanh"], None),
    "F.leaky_relu": (lambda m, x: F.leaky_relu(x, 0.2), IMAGE, ["LeakyReLU"], {"negative_slope": 0.2}),
    "F.elu": (lambda m, x: F.elu(x, alpha=0.5), IMAGE, ["ELU"], {"alpha": 0.5}),
    "F.selu": (lambda m, x: F.selu(x), IMAGE, ["SELU"], None),
    "F.silu": (lambda m, x: F.silu(x), IMAGE, ["SiLU"], None),
    "F.mish": (lambda m, x: F.mish(x), IMAGE, ["Mish"], None),
    "F.softplus": (lambda m, x: F.softplus(x, beta=2), IMAGE, ["Softplus"], {"beta": 2.0, "threshold": 20.0}),
    "F.hardswish": (lambda m, x: F.hardswish(x), IMAGE, ["Hardswish"], None),
    "F.relu6": (lambda m, x: F.relu6(x), IMAGE, ["ReLU6"], None),
    "F.hardtanh": (lambda m, x: F.hardtanh(x, -2.0, 2.0), IMAGE, ["Hardtanh"], {"min_val": -2.0, "max_val": 2.0}),
    "F.softsign": (lambda m, x: F.softsign(x), IMAGE, ["Softsign"], None),
    "F.softmax": (lambda m, x: F.softmax(x, dim=1), IMAGE, ["Softmax"], {"dim": 1}),
    "torch.log_softmax": (lambda m, x: torch.log_softmax(x, -1), IMAGE, ["LogSoftmax"], {"dim": -1}),
    "Tensor.softmax": (lambda m, x: x.softmax(2), IMAGE, ["Softmax"], {"dim": 2}),
    "torch.flatten": (lambda m, x: torch.flatten(x, 1), IMAGE, ["Flatten"], {"start_dim": 1, "end_dim": -1}),
    "Tensor.flatten": (lambda m, x: x.flatten(2), IMAGE, ["Flatten"], {"start_dim": 2, "end_dim": -1}),
    "Tensor.view": (lambda m, x: x.view(-1, 108), IMAGE, ["Reshape"], {"shape": [108]}),
    "Tensor.reshape size": (lambda m, x: x.reshape(x.size(0), -1, 4), IMAGE, ["Reshape"], {"shape": [27, 4]}),
    "Tensor.view shape": (lambda m, x: x.view(x.shape[0], x.shape[1] * 6, 6), IMAGE, ["Reshape"],
                          {"shape": [18, 6]}),
    "torch.reshape": (lambda m, x: torch.reshape(x, (-1, 3, 36)), IMAGE, ["Reshape"], {"shape": [3, 36]}),
    "Tensor.unsqueeze": (lambda m, x: x.unsqueeze(1), SEQUENCE, ["Unsqueeze"], {"dim": 1}),
    "Tensor.squeeze": (lambda m, x: x.unsqueeze(1).squeeze(1), SEQUENCE, ["Unsqueeze", "Squeeze"], {"dim": 1}),
    "Tensor.permute": (lambda m, x: x.permute(0, 2, 1), SEQUENCE, ["Permute"], {"dims": [0, 2, 1]}),
    "Tensor.transpose": (lambda m, x: x.transpose(1, 2), SEQUENCE, ["Transpose"], {"dim0": 1, "dim1": 2}),
    "Tensor.contiguous": (lambda m, x: x.transpose(1, 2).contiguous(), SEQUENCE, ["Transpose"], None),
    "operator.add": (lambda m, x: x + x.relu(), IMAGE, ["ReLU", "Add"], None),
    "torch.add": (lambda m, x: torch.add(x.relu(), x), IMAGE, ["ReLU", "Add"], None),
    "operator.mul": (lambda m, x: x * torch.sigmoid(x), IMAGE, ["Sigmoid", "Multiply"], None),
    "chained add": (lambda m, x: x + x.relu() + x.tanh(), IMAGE, ["ReLU", "Tanh", "Add"], None),
    "torch.cat": (lambda m, x: torch.cat([x, x.sigmoid()], dim=1), IMAGE, ["Sigmoid", "Concat"], {"dim": 1}),
    "F.max_pool2d": (lambda m, x: F.max_pool2d(x, 2), IMAGE, ["MaxPool2d"], None),
    "F.max_pool2d stride": (lambda m, x: F.max_pool2d(x, 3, 1, 1), IMAGE, ["MaxPool2d"], None),
    "F.avg_pool2d": (lambda m, x: F.avg_pool2d(x, 3, stride=1, padding=1), IMAGE, ["AvgPool2d"],
                     {"kernel_size": 3, "stride": 1, "padding": 1, "ceil_mode": False}),
    "F.adaptive_avg_pool2d": (lambda m, x: F.adaptive_avg_pool2d(x, (1, 1)), IMAGE, ["AdaptiveAvgPool2d"],
                              {"output_size": 1}),
    "F.adaptive_max_pool2d": (lambda m, x: F.adaptive_max_pool2d(x, 2), IMAGE, ["AdaptiveMaxPool2d"], None),
    "F.max_pool1d": (lambda m, x: F.max_pool1d(x, 2), SEQUENCE, ["MaxPool1d"], None),
    "F.avg_pool1d": (lambda m, x: F.avg_pool1d(x, 2), SEQUENCE, ["AvgPool1d"], None),
    "F.adaptive_avg_pool1d": (lambda m, x: F.adaptive_avg_pool1d(x, 1), SEQUENCE, ["AdaptiveAvgPool1d"], None),
    "F.dropout": (lambda m, x: F.dropout(x, 0.3, training=m.training), IMAGE, ["Dropout"], {"p": 0.3}),
    "F.dropout2d": (lambda m, x: F.dropout2d(x, 0.2, m.training), IMAGE, ["Dropout2d"], {"p": 0.2}),
    "F.dropout off": (lambda m, x: F.dropout(x, 0.3, training=False), IMAGE, ["Identity"], None),
    "F.interpolate": (lambda m, x: F.interpolate(x, scale_factor=2, mode="nearest"), IMAGE, ["Upsample"],
                      {"scale_factor": 2.0, "mode": "nearest"}),
    # tensor operations
    "Tensor.mean list": (lambda m, x: x.mean([2, 3]), IMAGE, ["Mean"], {"dim": [2, 3], "keepdim": False}),
    "Tensor.mean keepdim": (lambda m, x: x.mean(dim=1, keepdim=True), IMAGE, ["Mean"], {"dim": [1], "keepdim": True}),
    "torch.amax": (lambda m, x: torch.amax(x, dim=(2, 3)), IMAGE, ["Amax"], {"dim": [2, 3]}),
    "Tensor.max(dim)[0]": (lambda m, x: x.max(dim=1)[0], SEQUENCE, ["Amax"], {"dim": [1]}),
    "Tensor.max(dim).values": (lambda m, x: x.max(1).values, SEQUENCE, ["Amax"], {"dim": [1]}),
    "torch.sum": (lambda m, x: torch.sum(x, -1), SEQUENCE, ["Sum"], {"dim": [-1]}),
    "Tensor.std": (lambda m, x: x.std(-1, keepdim=True), SEQUENCE, ["Std"], {"dim": [-1], "correction": 1}),
    "Tensor.var unbiased=False": (lambda m, x: x.var(dim=(1, 2), unbiased=False), SEQUENCE, ["Var"],
                                  {"dim": [1, 2], "correction": 0}),
    "torch.std correction": (lambda m, x: torch.std(x, 1, correction=0), SEQUENCE, ["Std"], {"correction": 0}),
    "to one score per sample": (lambda m, x: x.mean((1, 2, 3), keepdim=True).view(-1, 1).squeeze(1), IMAGE,
                                ["Mean", "Reshape", "Squeeze"], None),
    "torch.split size": (lambda m, x: torch.split(x, 4, dim=-1)[1], SEQUENCE, ["Split", "Output"], None),
    "x[:, 0]": (lambda m, x: x[:, 0], SEQUENCE, ["Select"], {"dim": 1, "index": 0}),
    "x[..., :k]": (lambda m, x: x[..., :2], SEQUENCE, ["Slice"], {"dim": -1, "start": None, "end": 2}),
    "x[:, None, 1:]": (lambda m, x: x[:, None, 1:], SEQUENCE, ["Unsqueeze", "Slice"], {"dim": 2, "start": 1}),
    "torch.cat of one": (lambda m, x: torch.cat([x], 1), SEQUENCE, ["Concat"], {"dim": 1}),
    "torch.stack": (lambda m, x: torch.stack([x, x.relu()], 1), SEQUENCE, ["ReLU", "Stack"], {"dim": 1}),
    "@": (lambda m, x: x @ x.transpose(-2, -1), SEQUENCE, ["Transpose", "MatMul"], None),
    "torch.bmm": (lambda m, x: torch.bmm(x, x.transpose(1, 2)), SEQUENCE, ["Transpose", "MatMul"], None),
    "F.scaled_dot_product_attention": (lambda m, x: F.scaled_dot_product_attention(x, x, x, is_causal=True), IMAGE,
                                       ["ScaledDotProductAttention"], {"is_causal": True}),
    "scalar arithmetic": (lambda m, x: 1 - x * 0.5 / 4 + 2, SEQUENCE, ["Scalar"] * 4, {"op": "add", "value": 2.0}),
    "2 / x": (lambda m, x: 2 / x, SEQUENCE, ["Scalar"], {"op": "rdiv", "value": 2.0}),
    "x ** 2": (lambda m, x: x ** 2, SEQUENCE, ["Scalar"], {"op": "pow", "value": 2.0}),
    "-x": (lambda m, x: -x, SEQUENCE, ["Neg"], None),
    "Tensor.clamp": (lambda m, x: x.clamp(min=0.1), SEQUENCE, ["Clamp"], {"min": 0.1, "max": None}),
    "torch.where": (lambda m, x: torch.where(x > 0, x, 0.1), SEQUENCE, ["Where"],
                    {"compare": ">", "threshold": 0.0, "fill": 0.1}),
    "Tensor.masked_fill": (lambda m, x: x.masked_fill(x < 0.5, -1e9), SEQUENCE, ["Where"],
                           {"compare": ">=", "threshold": 0.5, "fill": -1e9}),
    "exp log abs sqrt": (lambda m, x: x.exp().log().abs().sqrt(), SEQUENCE, ["Exp", "Log", "Abs", "Sqrt"], None),
    "Tensor.expand": (lambda m, x: x[:, :1].expand(-1, 3, 6), SEQUENCE, ["Slice", "Expand"], {"shape": [3, 6]}),
    "Tensor.repeat": (lambda m, x: x.repeat(1, 2, 1), SEQUENCE, ["Repeat"], {"repeats": [2, 1]}),
    "F.pad": (lambda m, x: F.pad(x, (1, 1, 2, 0)), IMAGE, ["Pad"], {"padding": [1, 1, 2, 0]}),
    "broadcasting *": (lambda m, x: x * x.mean((2, 3), keepdim=True), IMAGE, ["Mean", "Multiply"], None),
    "broadcasting - and /": (lambda m, x: (x - x.amax(-1, keepdim=True)) / x.sum(1, keepdim=True), IMAGE,
                             ["Amax", "Subtract", "Sum", "Divide"], None),
}


@pytest.mark.parametrize("name", CASES)
def test_call_maps_to_layer_with_same_outputs(name):
    fn, shape, types, params = CASES[name]
    module, x = Fn(fn), torch.randn(shape)
    result = import_module(module, x)
    nodes = list(result.document.nodes.values())
    assert [n.type for n in nodes[1:]] == types
    if params is not None:
        assert {k: nodes[-1].params[k] for k in params} == params
    model = result.build().eval()
    with torch.no_grad():
        assert torch.equal(model(x).nan_to_num(), module.eval()(x).nan_to_num())  # log of a negative is nan


def test_function_table_covers_only_existing_layers():
    from netbuilder.core.layers import has_spec
    from netbuilder.interop.calls import ALIAS
    from netbuilder.interop.function_table import FUNCTIONS, METHODS

    assert all(has_spec(rule.layer) or rule.layer == ALIAS for rule in [*FUNCTIONS.values(), *METHODS.values()])
    assert operator.add in FUNCTIONS and "view" in METHODS
