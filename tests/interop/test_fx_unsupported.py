"""What cannot be imported is never dropped: every unsupported op is reported with its line."""

import inspect

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from netbuilder import NetbuilderError, import_module
from netbuilder.interop.errors import TraceError, UnsupportedModelError


def _line(cls, marker: str) -> int:
    """The line of ``cls``'s source that ends with the comment ``# marker``."""
    lines, start = inspect.getsourcelines(cls)
    return start + next(i for i, line in enumerate(lines) if line.rstrip().endswith(f"# {marker}"))


class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.register_buffer("scale", torch.ones(1, dtype=torch.int64))
        self.sync = nn.SyncBatchNorm(4)  # excluded from the layers: one process trains

    def forward(self, x):
        x = self.conv(x)
        x = x * self.scale  # attribute
        x = self.sync(x)  # module
        x = x.cumsum(dim=1)  # method
        return torch.sigmoid(x) + torch.rand_like(x)  # random


def test_every_unsupported_op_is_listed_with_its_line():
    with pytest.raises(UnsupportedModelError) as caught:
        import_module(Mixed(), torch.randn(2, 3, 8, 8))
    ops = caught.value.ops
    assert [op.what for op in ops] == ["attribute 'scale'", "nn.SyncBatchNorm 'sync'", "Tensor.cumsum()",
                                       "torch.rand_like"]
    assert [op.source.lineno for op in ops] == [_line(Mixed, m) for m in ("attribute", "module", "method", "random")]
    assert all(op.source.filename == __file__ for op in ops)
    text = str(caught.value)
    assert "4 unsupported operations" in text and "SyncBatchNorm has no netbuilder layer" in text
    assert "x = x.cumsum(dim=1)" in text


class Repeated(nn.Module):
    def forward(self, x):
        for _ in range(50):
            x = x.cumsum(1)  # the loop
        return x


def test_a_refusal_repeated_in_a_loop_is_one_line_with_its_count():
    with pytest.raises(UnsupportedModelError) as caught:
        import_module(Repeated(), torch.randn(2, 3))
    text = str(caught.value)
    assert "50 unsupported operations" in text
    assert text.count("Tensor.cumsum()") == 1 and "x = x.cumsum(1)  # the loop) (50 times)" in text


def test_keep_unsupported_says_what_the_core_lacks():
    with pytest.raises(UnsupportedModelError, match="no opaque node type"):
        import_module(Mixed(), torch.randn(2, 3, 8, 8), keep_unsupported=True)


class DataDependent(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # branch
            return x.relu()
        return x


def test_untraceable_code_names_its_line():
    with pytest.raises(TraceError) as caught:
        import_module(DataDependent(), torch.randn(2, 3))
    assert f"{__file__}:{_line(DataDependent, 'branch')}" in str(caught.value)
    assert "if x.sum() > 0" in str(caught.value)


class Wrap(nn.Module):
    """``forward`` calls ``fn(self, x)``; ``layer`` is an optional submodule for it."""

    def __init__(self, fn, layer=None):
        super().__init__()
        self.fn, self.layer = fn, layer

    def forward(self, x):
        return self.fn(self, x)


def _unpack_lstm_cell(m, x):
    _, (h, c) = m.layer(x)
    return c[-1]


REFUSALS = {
    "view fixing the batch size": (lambda m, x: x.view(2, -1), None, (2, 3, 4), "without keeping the batch"),
    "flatten of the batch": (lambda m, x: torch.flatten(x), None, (2, 3, 4), "flattens the batch dimension"),
    "cat along the batch": (lambda m, x: torch.cat([x, x]), None, (2, 3), "joins along the batch dimension"),
    "transpose of the batch": (lambda m, x: x.transpose(0, 1), None, (2, 3), "moves the batch dimension"),
    "softmax without dim": (lambda m, x: F.softmax(x, None), None, (2, 3),
                            "Softmax needs dim to be an integer, got None: write the call with such a dim"),
    "int tensor made in forward": (lambda m, x: x + torch.ones(3, dtype=torch.int64), None, (2, 3),
                                   "a tensor made in forward of int64; a Parameter node holds float32"),
    "rank that differs": (lambda m, x: x.unsqueeze(1) * x, None, (2, 3), "differ in rank"),
    "reduction of everything": (lambda m, x: x.mean(), None, (2, 3), "the batch included: give dim"),
    "indexing the batch": (lambda m, x: x[0], None, (2, 3), "indexes the batch dimension"),
    "advanced indexing": (lambda m, x: x[:, [0, 2]], None, (2, 3), "advanced indexing"),
    "max indices": (lambda m, x: x.max(1)[1], None, (2, 3), "indices of max"),
    "boolean mask used as a tensor": (lambda m, x: x * (x > 0), None, (2, 3), "keeps only inside torch.where"),
    "where between two tensors": (lambda m, x: torch.where(x > 0, x, -x), None, (2, 3), "between two tensors"),
    "fill with -inf": (lambda m, x: x.masked_fill(x > 0, float("-inf")), None, (2, 3), "use -1e9 for -inf"),
    "count_include_pad": (lambda m, x: F.avg_pool2d(x, 2, count_include_pad=False), None, (2, 1, 4, 4),
                          "count_include_pad=False"),
    "in place on a shared value": (lambda m, x: x + F.relu(x, inplace=True), None, (2, 3), "works in place"),
    "conv padding mode": (lambda m, x: m.layer(x), nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"),
                          (2, 1, 5, 5), "padding_mode='reflect'"),
    "lstm not batch first": (lambda m, x: m.layer(x)[0], nn.LSTM(3, 4), (2, 5, 3), "batch_first=False"),
    "lstm cell state": (_unpack_lstm_cell, nn.LSTM(3, 4, batch_first=True), (2, 5, 3), "cell state c_n"),
    "lstm initial state": (lambda m, x: m.layer(x, torch.ones(1, 2, 4))[0], nn.GRU(3, 4, batch_first=True),
                           (2, 5, 3), "an initial hidden state .* start from zeros"),
    "whole state returned": (lambda m, x: m.layer(x)[1], nn.GRU(3, 4, batch_first=True), (2, 5, 3),
                             "returns the recurrent state .* of every layer"),
    "attention weights": (lambda m, x: m.layer(x, x, x)[1], nn.MultiheadAttention(4, 2, batch_first=True),
                          (2, 5, 4), "attention weights"),
    "parameter used as a whole": (lambda m, x: x + m.layer.sum(), nn.Parameter(torch.zeros(3)), (2, 3),
                                  "gives every sample the same copy: self.layer.expand\\(x.shape\\[0\\], 3\\)"),
    "parameter expanded to a fixed batch": (lambda m, x: x + m.layer.expand(2, 3), nn.Parameter(torch.zeros(3)),
                                            (2, 3), "one copy of it per sample"),
    "attention mask": (lambda m, x: m.layer(x, x, x, attn_mask=torch.zeros(5, 5))[0],
                       nn.MultiheadAttention(4, 2, batch_first=True), (2, 5, 4), "masks"),
}


@pytest.mark.filterwarnings("ignore:Implicit dimension choice for softmax")
@pytest.mark.parametrize("name", REFUSALS)
def test_refusal_gives_the_reason(name):
    fn, layer, shape, reason = REFUSALS[name]
    with pytest.raises(UnsupportedModelError, match=reason):
        import_module(Wrap(fn, layer), torch.randn(shape))


def test_forward_that_depends_on_training_mode_is_caught_by_the_check():
    always_dropping = Wrap(lambda m, x: F.dropout(x, 0.5))  # training=True even in eval mode
    with pytest.raises(NetbuilderError, match="self.training"):
        import_module(always_dropping, torch.randn(2, 50))


def test_float64_models_are_refused():
    with pytest.raises(NetbuilderError, match="float32"):
        import_module(nn.Linear(3, 2).double(), torch.randn(2, 3))


def test_unused_layers_and_shared_weights_are_noted():
    class Notes(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.unused = nn.Linear(4, 2)

        def forward(self, x):
            self.unused(x)
            return self.fc(self.fc(x))

    module, x = Notes(), torch.randn(2, 4)
    result = import_module(module, x)
    assert list(result.document.nodes) == ["x", "fc", "fc_2"]
    assert any("'unused'" in note and "never used" in note for note in result.notes)
    assert any("'fc' is called more than once" in note for note in result.notes)
    assert torch.equal(result.build().eval()(x), module.eval()(x))


def test_unused_in_place_call_is_reported_not_dropped():
    class InPlace(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            y = self.fc(x)
            y.relu_()  # in place
            return y

    with pytest.raises(UnsupportedModelError, match="changes its input in place") as caught:
        import_module(InPlace(), torch.randn(2, 3))
    assert caught.value.ops[0].source.lineno == _line(InPlace, "in place")


def test_forward_with_more_inputs_than_examples():
    class TwoInputs(nn.Module):
        def forward(self, x, y):
            return x + y

    with pytest.raises(TraceError, match="also needs y"):
        import_module(TwoInputs(), torch.randn(2, 3))
