"""The library's shape rules agree with real torch.

Every layer type is built with several parameter sets into a tiny graph,
compiled with ``build_model``, run on real tensors, and the output shapes,
dtypes and parameter counts are compared with what inference predicted.
Graphs inference refuses must be graphs torch refuses too.
"""

import pytest
import torch
from core_helpers import as_tuple, random_inputs
from derived_cases import DERIVED_CASES
from hypothesis import given, settings
from hypothesis import strategies as st
from tensor_op_cases import TENSOR_OP_CASES, TENSOR_OP_REFUSED
from torch import nn

from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.layers import all_specs, get_spec
from netbuilder.core.shapes import infer_shapes

F32, I64 = "float32", "int64"

# (layer type, params, input shapes; an int64 input is written (shape, "int64"))
CASES = [
    ("Input", {"shape": [4]}, []),
    ("Input", {"shape": [1, 8, 8]}, []),
    ("Input", {"shape": [5], "dtype": I64}, []),
    ("Output", {}, [[3, 2]]),
    ("Output", {}, [([4], I64)]),
    ("Linear", {"out_features": 4}, [[8]]),
    ("Linear", {"out_features": 3, "bias": False}, [[5, 8]]),
    ("Linear", {"out_features": 2}, [[2, 3, 8]]),
    ("Identity", {}, [[3, 4]]),
    ("Parameter", {"shape": [6]}, []),
    ("Parameter", {"shape": [2, 3, 4], "init": "randn"}, []),
    ("Identity", {}, [([5], I64)]),
    ("Conv1d", {"out_channels": 4, "kernel_size": 3}, [[3, 16]]),
    ("Conv1d", {"out_channels": 8, "kernel_size": 5, "stride": 2, "padding": 2, "groups": 2, "bias": False},
     [[4, 20]]),
    ("Conv1d", {"out_channels": 2, "kernel_size": 3, "dilation": 2}, [[2, 9]]),
    ("ConvTranspose1d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
     [[3, 8]]),
    ("ConvTranspose1d", {"out_channels": 2, "kernel_size": 2, "groups": 2}, [[4, 5]]),
    ("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, [[3, 8, 8]]),
    ("Conv2d", {"out_channels": 4, "kernel_size": [3, 5], "stride": [2, 1], "padding": [1, 2], "dilation": [1, 2]},
     [[2, 9, 7]]),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "groups": 4, "bias": False}, [[4, 8, 8]]),
    ("ConvTranspose2d", {"out_channels": 2, "kernel_size": 2, "stride": 2}, [[3, 4, 4]]),
    ("ConvTranspose2d", {"out_channels": 4, "kernel_size": [3, 2], "stride": [2, 3], "padding": 1,
                         "output_padding": [1, 0]}, [[2, 5, 6]]),
    ("MaxPool1d", {"kernel_size": 2}, [[3, 10]]),
    ("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}, [[3, 11]]),
    ("AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [[3, 10]]),
    ("AvgPool1d", {"kernel_size": 2}, [[2, 7]]),
    ("MaxPool2d", {"kernel_size": 2}, [[3, 8, 8]]),
    ("MaxPool2d", {"kernel_size": [3, 2], "stride": [2, 1], "padding": 1, "dilation": [1, 2], "ceil_mode": True},
     [[2, 9, 7]]),
    ("AvgPool2d", {"kernel_size": 2}, [[3, 8, 8]]),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [[2, 9, 7]]),
    ("AdaptiveAvgPool1d", {"output_size": 4}, [[3, 10]]),
    ("AdaptiveAvgPool1d", {"output_size": 1}, [[3, 10]]),
    ("AdaptiveMaxPool1d", {"output_size": 3}, [[3, 10]]),
    ("AdaptiveMaxPool1d", {"output_size": 12}, [[2, 10]]),
    ("AdaptiveAvgPool2d", {"output_size": 1}, [[3, 8, 8]]),
    ("AdaptiveAvgPool2d", {"output_size": [2, 3]}, [[3, 9, 7]]),
    ("AdaptiveMaxPool2d", {"output_size": [4, 2]}, [[3, 8, 8]]),
    ("AdaptiveMaxPool2d", {"output_size": 1}, [[2, 5, 5]]),
    ("Upsample", {"scale_factor": 2.0}, [[3, 4, 4]]),
    ("Upsample", {"scale_factor": 1.5, "mode": "linear"}, [[3, 5]]),
    ("Upsample", {"scale_factor": 2.5, "mode": "bilinear"}, [[2, 3, 5]]),
    ("Upsample", {"scale_factor": 0.5, "mode": "bicubic"}, [[2, 4, 4]]),
    ("BatchNorm1d", {}, [[6]]),
    ("BatchNorm1d", {"affine": False, "eps": 1e-3}, [[4, 10]]),
    ("BatchNorm2d", {}, [[3, 4, 4]]),
    ("BatchNorm2d", {"affine": False, "momentum": 0.2}, [[2, 5, 3]]),
    ("LayerNorm", {}, [[8]]),
    ("LayerNorm", {"normalized_dims": 2}, [[3, 4, 5]]),
    ("LayerNorm", {"elementwise_affine": False}, [[3, 6]]),
    ("GroupNorm", {"num_groups": 2}, [[8, 4, 4]]),
    ("GroupNorm", {"num_groups": 3, "affine": False}, [[6, 10]]),
    ("InstanceNorm2d", {}, [[3, 4, 4]]),
    ("InstanceNorm2d", {"affine": True}, [[2, 5, 5]]),
    ("Dropout", {}, [[5]]),
    ("Dropout", {"p": 0.1}, [[2, 3, 4]]),
    ("Dropout2d", {}, [[3, 4, 4]]),
    ("Dropout2d", {"p": 0.2}, [[2, 5, 3]]),
    ("AlphaDropout", {}, [[5]]),
    ("AlphaDropout", {"p": 0.1}, [[3, 4]]),
    ("ReLU", {}, [[3, 4]]),
    ("ReLU", {}, [[2, 3, 4, 5]]),
    ("LeakyReLU", {}, [[5]]),
    ("LeakyReLU", {"negative_slope": 0.2}, [[3, 4]]),
    ("PReLU", {}, [[5]]),
    ("PReLU", {"num_parameters": 3}, [[3, 4]]),
    ("ELU", {}, [[5]]),
    ("ELU", {"alpha": 0.5}, [[3, 4]]),
    ("SELU", {}, [[5]]),
    ("SELU", {}, [[3, 4, 4]]),
    ("GELU", {}, [[5]]),
    ("GELU", {"approximate": "tanh"}, [[3, 4]]),
    ("SiLU", {}, [[5]]),
    ("SiLU", {}, [[3, 4]]),
    ("Mish", {}, [[5]]),
    ("Mish", {}, [[3, 4]]),
    ("Sigmoid", {}, [[5]]),
    ("Sigmoid", {}, [[3, 4]]),
    ("Tanh", {}, [[5]]),
    ("Tanh", {}, [[3, 4]]),
    ("Softmax", {}, [[5]]),
    ("Softmax", {"dim": -1}, [[3, 4]]),
    ("Softmax", {"dim": 2}, [[3, 4]]),
    ("LogSoftmax", {}, [[5]]),
    ("LogSoftmax", {"dim": -2}, [[3, 4]]),
    ("Softplus", {}, [[5]]),
    ("Softplus", {"beta": 2.0, "threshold": 10.0}, [[3, 4]]),
    ("Hardswish", {}, [[5]]),
    ("Hardswish", {}, [[3, 4]]),
    ("ReLU6", {}, [[5]]),
    ("ReLU6", {}, [[3, 4]]),
    ("Hardtanh", {}, [[5]]),
    ("Hardtanh", {"min_val": -2.0, "max_val": 2.0}, [[3, 4]]),
    ("Softsign", {}, [[5]]),
    ("Softsign", {}, [[3, 4]]),
    ("Flatten", {}, [[3, 4, 5]]),
    ("Flatten", {"start_dim": 2}, [[3, 4, 5]]),
    ("Flatten", {"end_dim": 2}, [[3, 4, 5]]),
    ("Flatten", {}, [([2, 3], I64)]),
    ("Unflatten", {"dim": 1, "unflattened_size": [3, 4]}, [[12]]),
    ("Unflatten", {"dim": 2, "unflattened_size": [2, 3]}, [[2, 6]]),
    ("Reshape", {"shape": [3, 4]}, [[12]]),
    ("Reshape", {"shape": [6, 4]}, [[2, 3, 4]]),
    ("Permute", {"dims": [0, 2, 1]}, [[5, 3]]),
    ("Permute", {"dims": [0, 3, 1, 2]}, [[2, 3, 4]]),
    ("RNN", {"hidden_size": 5}, [[6, 3]]),
    ("RNN", {"hidden_size": 5, "nonlinearity": "relu", "num_layers": 2, "output": "last"}, [[6, 3]]),
    ("RNN", {"hidden_size": 4, "bidirectional": True, "bias": False}, [[6, 3]]),
    ("LSTM", {"hidden_size": 4}, [[6, 3]]),
    ("LSTM", {"hidden_size": 4, "output": "last"}, [[6, 3]]),
    ("LSTM", {"hidden_size": 4, "num_layers": 2, "bidirectional": True, "dropout": 0.1}, [[6, 3]]),
    ("GRU", {"hidden_size": 4}, [[6, 3]]),
    ("GRU", {"hidden_size": 4, "bidirectional": True, "output": "last"}, [[6, 3]]),
    ("LSTM", {"hidden_size": 4, "num_layers": 2, "state": "every layer"}, [[6, 3]]),
    ("LSTM", {"hidden_size": 4, "num_layers": 2, "state": "every layer"}, [[6, 3], [2, 4], [2, 4]]),
    ("LSTM", {"hidden_size": 3, "bidirectional": True, "output": "last"}, [[5, 2], [2, 3], [2, 3]]),
    ("GRU", {"hidden_size": 4, "num_layers": 3, "state": "every layer"}, [[6, 3], [3, 4]]),
    ("RNN", {"hidden_size": 4}, [[6, 3], [1, 4]]),
    ("Embedding", {"num_embeddings": 10, "embedding_dim": 4}, [([5], I64)]),
    ("Embedding", {"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 0}, [([2, 3], I64)]),
    ("MultiheadAttention", {"num_heads": 2}, [[5, 8]]),
    ("MultiheadAttention", {"num_heads": 4, "bias": False, "dropout": 0.1}, [[5, 8], [7, 8]]),
    ("MultiheadAttention", {"num_heads": 2}, [[5, 8], [7, 6], [7, 3]]),
    ("MultiheadAttention", {"num_heads": 2}, [[5, 8], [7, 8], [7, 3]]),
    ("TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": 16}, [[5, 8]]),
    ("TransformerEncoderLayer", {"nhead": 4, "dim_feedforward": 8, "activation": "gelu", "norm_first": True},
     [[3, 8]]),
    ("Add", {}, [[3, 4], [3, 4]]),
    ("Add", {}, [[2, 3, 4], [2, 3, 4], [2, 3, 4]]),
    ("Multiply", {}, [[5], [5]]),
    ("Multiply", {}, [[2, 3, 4], [2, 3, 4]]),
    ("Multiply", {}, [[2, 3, 4], [2, 1, 1]]),  # a gate broadcast over positions
    ("Concat", {}, [[3], [4]]),
    ("Concat", {"dim": 2}, [[2, 3, 4], [2, 5, 4]]),
    ("Concat", {"dim": -1}, [[2, 3], [2, 3], [2, 1]]),
    *DERIVED_CASES,
    *TENSOR_OP_CASES,
]


def one_layer_graph(layer_type: str, params: dict, inputs: list) -> GraphDocument:
    """Inputs ``in0…`` → the layer ``layer`` → an Output per output port (so every port is checked).

    A layer that takes no input but is no Input (a Parameter) gets one all the
    same, returned as it is: the model's batch size comes from its inputs.
    """
    doc = GraphDocument("agreement")
    spec = get_spec(layer_type)
    if spec.is_input:
        doc.add_node("Input", params, node_id="layer")
        doc.add_node("Output", node_id="out0")
        doc.connect(Edge("layer", "out0"))
        return doc
    if spec.max_inputs == 0:
        doc.add_node("Input", {"shape": [1]}, node_id="in0")
        doc.add_node("Output", node_id="batch")
        doc.connect(Edge("in0", "batch"))
    for port, spec in enumerate(inputs):
        shape, dtype = spec if isinstance(spec, tuple) else (spec, F32)
        doc.add_node("Input", {"shape": shape, "dtype": dtype}, node_id=f"in{port}")
    doc.add_node(layer_type, params, node_id="layer")
    for port in range(len(inputs)):
        doc.connect(Edge(f"in{port}", "layer", 0, port))
    layer = get_spec(layer_type)
    for port in range(len(layer.output_names(layer.validate_params(params)))):
        doc.add_node("Output", node_id=f"out{port}")
        doc.connect(Edge("layer", f"out{port}", port, 0))
    return doc


def case_id(case) -> str:
    layer_type, params, _ = case
    return layer_type + "-" + "-".join(f"{k}={v}" for k, v in params.items())


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_inferred_shapes_and_parameter_counts_match_real_torch(case):
    doc = one_layer_graph(*case)
    report = infer_shapes(doc)
    assert report.ok, report.errors
    model = build_model(doc)
    with torch.no_grad():
        outputs = as_tuple(model(*random_inputs(doc, report.inputs)))
    expected = report.output_types()
    assert len(outputs) == len(expected)
    for tensor, predicted in zip(outputs, expected):
        assert tuple(tensor.shape) == (3, *predicted.shape)
        assert str(tensor.dtype) == f"torch.{predicted.dtype}"
    real_params = sum(p.numel() for p in model.parameters())
    assert real_params == report.total_params == report.nodes["layer"].params


def test_every_layer_type_is_checked_with_several_parameter_sets():
    counts = {spec.type: 0 for spec in all_specs()}
    for layer_type, _, _ in CASES:
        counts[layer_type] += 1
    assert {t: n for t, n in counts.items() if n < 2} == {}


# Graphs inference refuses, each with the same computation in plain torch, which must refuse it too.
REFUSED = [
    ("Softmax", {"dim": 2}, [[10]], lambda: nn.Softmax(dim=2)(torch.randn(3, 10))),
    ("PReLU", {"num_parameters": 3}, [[4, 5]], lambda: nn.PReLU(3)(torch.randn(3, 4, 5))),
    ("GroupNorm", {"num_groups": 4}, [[6, 5]], lambda: nn.GroupNorm(4, 6)),
    ("MultiheadAttention", {"num_heads": 3}, [[5, 8]], lambda: nn.MultiheadAttention(8, 3)),
    ("MultiheadAttention", {"num_heads": 2}, [[5, 8], [7, 8], [6, 8]],
     lambda: nn.MultiheadAttention(8, 2, batch_first=True)(*(torch.randn(3, n, 8) for n in (5, 7, 6)))),
    ("TransformerEncoderLayer", {"nhead": 3}, [[5, 8]], lambda: nn.TransformerEncoderLayer(8, 3)),
    ("Add", {}, [[16, 8, 8], [8, 8, 8]], lambda: torch.randn(3, 16, 8, 8) + torch.randn(3, 8, 8, 8)),
    ("Concat", {"dim": 1}, [[3, 4], [3, 5]], lambda: torch.cat([torch.randn(3, 3, 4), torch.randn(3, 3, 5)], 1)),
    ("Concat", {"dim": 3}, [[3], [3]], lambda: torch.cat([torch.randn(3, 3), torch.randn(3, 3)], 3)),
    ("Reshape", {"shape": [7]}, [[10, 3]], lambda: torch.randn(3, 10, 3).reshape(3, 7)),
    ("Flatten", {"start_dim": 4}, [[3, 4]], lambda: nn.Flatten(4)(torch.randn(3, 3, 4))),
    ("Permute", {"dims": [0, 3, 1]}, [[3, 4]], lambda: torch.randn(3, 3, 4).permute(0, 3, 1)),
    ("Unflatten", {"dim": 1, "unflattened_size": [3, 3]}, [[10]], lambda: nn.Unflatten(1, (3, 3))(torch.randn(3, 10))),
    ("Upsample", {"mode": "bilinear"}, [[3, 8]],
     lambda: nn.Upsample(scale_factor=2.0, mode="bilinear")(torch.randn(3, 3, 8))),
    ("Upsample", {"mode": "linear"}, [[3, 8, 8]],
     lambda: nn.Upsample(scale_factor=2.0, mode="linear")(torch.randn(3, 3, 8, 8))),
    ("Conv2d", {"out_channels": 4, "kernel_size": 9}, [[3, 8, 8]], lambda: nn.Conv2d(3, 4, 9)(torch.randn(3, 3, 8, 8))),
    ("Conv2d", {"out_channels": 4, "groups": 2}, [[3, 8, 8]], lambda: nn.Conv2d(3, 4, 3, groups=2)),
    ("ConvTranspose2d", {"out_channels": 4, "kernel_size": 2, "output_padding": 1}, [[3, 4, 4]],
     lambda: nn.ConvTranspose2d(3, 4, 2, output_padding=1)(torch.randn(3, 3, 4, 4))),
    ("MaxPool2d", {"kernel_size": 2, "padding": 2}, [[3, 8, 8]],
     lambda: nn.MaxPool2d(2, padding=2)(torch.randn(3, 3, 8, 8))),
    ("AvgPool1d", {"kernel_size": 9}, [[3, 8]], lambda: nn.AvgPool1d(9)(torch.randn(3, 3, 8))),
    ("Embedding", {"num_embeddings": 5, "embedding_dim": 2}, [[4]], lambda: nn.Embedding(5, 2)(torch.randn(3, 4))),
    ("Linear", {"out_features": 2}, [([4], I64)], lambda: nn.Linear(4, 2)(torch.randint(0, 3, (3, 4)))),
    ("LSTM", {"hidden_size": 4}, [[2, 6, 8]], lambda: nn.LSTM(8, 4, batch_first=True)(torch.randn(3, 2, 6, 8))),
    ("LSTM", {"hidden_size": 4}, [[6, 3], [1, 4]],
     lambda: nn.LSTM(3, 4, batch_first=True)(torch.randn(2, 6, 3), torch.randn(1, 2, 4))),
    ("GRU", {"hidden_size": 4, "num_layers": 2}, [[6, 3], [1, 4]],
     lambda: nn.GRU(3, 4, 2, batch_first=True)(torch.randn(2, 6, 3), torch.randn(1, 2, 4))),
    ("Hardtanh", {"min_val": 1.0, "max_val": 0.0}, [[4]], lambda: nn.Hardtanh(1.0, 0.0)),
    *TENSOR_OP_REFUSED,
]


@pytest.mark.parametrize("case", REFUSED, ids=[case_id(c[:3]) for c in REFUSED])
def test_what_inference_refuses_torch_refuses_too(case):
    *graph, in_torch = case
    report = infer_shapes(one_layer_graph(*graph))
    assert [p.node_id for p in report.errors] == ["layer"], report.problems
    with pytest.raises((RuntimeError, ValueError, AssertionError, IndexError, TypeError)):
        in_torch()


# -- convolution and pooling arithmetic over random parameters ---------------------
WINDOWED = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
            "AvgPool2d", "Upsample"]


@st.composite
def windowed_layers(draw):
    layer_type = draw(st.sampled_from(WINDOWED))
    dims = draw(st.sampled_from([1, 2])) if layer_type == "Upsample" else int(layer_type[-2])
    size = st.integers(1, 10)
    shape = [draw(st.integers(1, 3)), *(draw(size) for _ in range(dims))]

    def ints(low, high):
        items = st.integers(low, high)
        return draw(items if dims == 1 or draw(st.booleans()) else st.lists(items, min_size=2, max_size=2))

    if "Conv" in layer_type:
        params = {"out_channels": draw(st.integers(1, 3)), "kernel_size": ints(1, 5), "stride": ints(1, 3),
                  "padding": ints(0, 3), "dilation": ints(1, 3)}
        if "Transpose" in layer_type:
            params["output_padding"] = ints(0, 2)
    elif "Pool" in layer_type:
        params = {"kernel_size": ints(1, 5), "stride": draw(st.none()) if draw(st.booleans()) else ints(1, 3),
                  "padding": ints(0, 2), "ceil_mode": draw(st.booleans())}
        if "Max" in layer_type:
            params["dilation"] = ints(1, 3)
    else:
        params = {"scale_factor": draw(st.sampled_from([0.05, 0.5, 1.0, 1.3, 2.0, 2.7])),
                  "mode": draw(st.sampled_from(["nearest", "linear", "bilinear", "bicubic"]))}
    return layer_type, params, shape


@settings(max_examples=150, deadline=None)
@given(windowed_layers())
def test_window_arithmetic_matches_torch_for_random_parameters(case):
    layer_type, params, shape = case
    spec = get_spec(layer_type)
    report = infer_shapes(one_layer_graph(layer_type, params, [shape]))
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.validate_params(params).items()
              if spec.param(k).torch}
    if "Conv" in layer_type:
        kwargs["in_channels"] = shape[0]
    try:
        torch_shape = tuple(getattr(nn, spec.torch_class)(**kwargs)(torch.randn(2, *shape)).shape[1:])
    except RuntimeError:
        torch_shape = None
    if torch_shape is None or 0 in torch_shape:  # an empty output is refused as a mistake
        assert not report.ok
    else:
        assert report.ok, report.errors
        assert report.value_type("layer").shape == torch_shape
