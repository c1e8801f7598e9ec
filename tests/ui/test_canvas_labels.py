"""What the cards and the quick-add list say, tested without painting."""

from __future__ import annotations

import pytest

from netbuilder.core.layers import TensorType, all_specs, get_spec
from netbuilder.ui.canvas.labels import count_text, input_port_count, param_summary, shapes_text, stats_text
from netbuilder.ui.canvas.quick_add import rank_layers


def summary(layer_type: str, **params) -> str:
    spec = get_spec(layer_type)
    return param_summary(spec, spec.validate_params(params))


def test_param_summary_shows_key_and_changed_parameters():
    assert summary("Conv2d", out_channels=32, kernel_size=3, padding=1) == "out 32 · k 3 · pad 1"
    assert summary("Linear", out_features=128) == "out 128"
    assert summary("Linear", out_features=10, bias=False) == "out 10 · no bias"
    assert summary("Input", shape=[1, 8, 8]) == "shape 1×8×8"
    assert summary("LSTM", hidden_size=64, bidirectional=True) == "hidden 64 · bidir · sequence"
    assert summary("Dropout", p=0.25) == "p 0.25"
    assert summary("ReLU") == ""


@pytest.mark.parametrize("n, text", [(0, ""), (320, "320 params"), (4200, "4.2k params"),
                                     (137_500, "138k params"), (1_200_000, "1.2M params")])
def test_count_text(n, text):
    assert count_text(n) == text


def test_shapes_text_is_batch_first_and_names_odd_dtypes():
    assert shapes_text([TensorType((32, 8, 8))]) == "(N, 32, 8, 8)"
    assert shapes_text([TensorType((10, 64)), TensorType((64,))]) == "(N, 10, 64) · (N, 64)"
    assert shapes_text([TensorType((12,), "int64")]) == "(N, 12) int64"


def test_variadic_layers_offer_one_free_port():
    assert input_port_count(get_spec("Input"), []) == 0
    assert input_port_count(get_spec("ReLU"), [0]) == 1
    assert input_port_count(get_spec("Add"), []) == 2
    assert input_port_count(get_spec("Add"), [0, 1]) == 3
    assert input_port_count(get_spec("MultiheadAttention"), [0]) == 2
    assert input_port_count(get_spec("MultiheadAttention"), [0, 1, 2]) == 3


def test_stats_text_lists_what_is_known():
    assert stats_text({"mean": 0.5, "zeros": 0.25}) == "mean: 0.5\nzeros: 25.0%"


def test_quick_add_ranks_names_before_descriptions():
    names = [spec.type for spec in rank_layers("conv", all_specs())]
    assert names[:2] == ["Conv2d", "Conv1d"]
    assert set(names) >= {"ConvTranspose1d", "ConvTranspose2d"}
    assert [spec.type for spec in rank_layers("linear", all_specs())][0] == "Linear"
    assert "Add" in [spec.type for spec in rank_layers("residual", all_specs())]
    assert [spec.type for spec in rank_layers("pooling", all_specs())]  # by category
    assert not rank_layers("no such layer", all_specs())
    assert len(rank_layers("", all_specs())) == len(all_specs())
