"""A hypothesis strategy for random valid graphs: every layer family, merges, recurrent ports.

A graph grows one node at a time from an Input; each new node takes a value
already in the graph whose rank it accepts. A node netbuilder's shape
inference refuses is removed again, so every drawn graph is valid. Some
graphs return through Output nodes, some through their dangling nodes.
"""

from __future__ import annotations

from hypothesis import strategies as st

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.shapes import infer_shapes

_p = st.sampled_from([0.0, 0.25, 0.5])
_ACTIVATIONS = [
    ("ReLU", st.just({})), ("LeakyReLU", st.fixed_dictionaries({"negative_slope": st.sampled_from([0.01, 0.2])})),
    ("ELU", st.fixed_dictionaries({"alpha": st.sampled_from([0.5, 1.0])})), ("SELU", st.just({})),
    ("GELU", st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])})), ("SiLU", st.just({})),
    ("Mish", st.just({})), ("Sigmoid", st.just({})), ("Tanh", st.just({})), ("Hardswish", st.just({})),
    ("Softplus", st.fixed_dictionaries({"beta": st.sampled_from([1.0, 2.0])})), ("ReLU6", st.just({})),
    ("Hardtanh", st.just({"min_val": -2.0, "max_val": 2.0})), ("Softsign", st.just({})), ("PReLU", st.just({})),
    ("Identity", st.just({})), ("Dropout", st.fixed_dictionaries({"p": _p})), ("AlphaDropout", st.just({})),
    ("LogSoftmax", st.just({"dim": -1})),
]
_IMAGE = [
    ("Conv2d", st.fixed_dictionaries({"out_channels": st.integers(1, 4), "kernel_size": st.integers(1, 3),
                                      "stride": st.integers(1, 2), "padding": st.integers(0, 1),
                                      "bias": st.booleans()})),
    ("ConvTranspose2d", st.fixed_dictionaries({"out_channels": st.integers(1, 3), "kernel_size": st.integers(2, 3),
                                               "stride": st.integers(1, 2)})),
    ("MaxPool2d", st.fixed_dictionaries({"kernel_size": st.just(2), "stride": st.sampled_from([None, 1, 2])})),
    ("AvgPool2d", st.fixed_dictionaries({"kernel_size": st.just(2), "padding": st.integers(0, 1)})),
    ("AdaptiveAvgPool2d", st.fixed_dictionaries({"output_size": st.integers(1, 2)})),
    ("AdaptiveMaxPool2d", st.fixed_dictionaries({"output_size": st.integers(1, 2)})),
    ("BatchNorm2d", st.just({})), ("InstanceNorm2d", st.just({"affine": True})),
    ("GroupNorm", st.just({"num_groups": 1})), ("Dropout2d", st.fixed_dictionaries({"p": _p})),
    ("Upsample", st.fixed_dictionaries({"mode": st.sampled_from(["nearest", "bilinear"])})), ("Flatten", st.just({})),
    ("Softmax", st.just({"dim": 1})),
]
_SEQUENCE = [
    *[(kind, st.fixed_dictionaries({"hidden_size": st.integers(2, 4), "num_layers": st.integers(1, 2),
                                    "bidirectional": st.booleans(), "output": st.sampled_from(["sequence", "last"])}))
      for kind in ("LSTM", "GRU", "RNN")],
    ("MultiheadAttention", st.just({"num_heads": 1})),
    ("TransformerEncoderLayer", st.just({"nhead": 1, "dim_feedforward": 8, "dropout": 0.0})),
    ("Conv1d", st.fixed_dictionaries({"out_channels": st.integers(1, 3), "kernel_size": st.integers(1, 2)})),
    ("MaxPool1d", st.just({"kernel_size": 2})), ("AvgPool1d", st.just({"kernel_size": 2, "stride": 1})),
    ("AdaptiveAvgPool1d", st.just({"output_size": 2})), ("LayerNorm", st.just({})), ("BatchNorm1d", st.just({})),
    ("Linear", st.fixed_dictionaries({"out_features": st.integers(2, 5)})), ("Permute", st.just({"dims": [0, 2, 1]})),
    ("Flatten", st.just({})), ("Softmax", st.just({"dim": 2})),
]
_FLAT = [
    ("Linear", st.fixed_dictionaries({"out_features": st.integers(2, 5), "bias": st.booleans()})),
    ("BatchNorm1d", st.just({})), ("LayerNorm", st.just({})), ("Softmax", st.just({"dim": 1})),
]
_INPUTS = {
    "image": ([2, 6, 6], "float32"), "sequence": ([4, 4], "float32"), "flat": ([5], "float32"),
    "tokens": ([4], "int64"),
}


def _choices(shape: tuple[int, ...], dtype: str) -> list:
    if dtype == "int64":
        return [("Embedding", st.fixed_dictionaries({"num_embeddings": st.just(10), "embedding_dim": st.integers(2, 4),
                                                     "padding_idx": st.sampled_from([None, 0])}))]
    by_rank = {1: _FLAT, 2: _SEQUENCE, 3: _IMAGE}.get(len(shape), [])
    reshape = [("Reshape", st.just({"shape": [*shape[-1:], *shape[:-1]]}))]  # same size, rotated
    return by_rank + _ACTIVATIONS + (reshape if len(shape) > 1 else [])


def _merge(draw, doc: GraphDocument, report, node: str, values: list) -> None:
    """Maybe join ``node`` with another value of the same type (Add, Multiply) or along dim 1 (Concat)."""
    t = report.value_type(node)
    same = [v for v in values if v[0] != node and report.value_type(*v) == t]
    if t.dtype != "float32" or not same or not draw(st.booleans()):
        return
    other = draw(st.sampled_from(same))
    merge = doc.add_node(draw(st.sampled_from(["Add", "Multiply", "Concat"])))
    doc.connect(Edge(node, merge, 0, 0))
    doc.connect(Edge(other[0], merge, other[1], 1))
    if infer_shapes(doc).errors:
        doc.remove_node(merge)
    else:
        values.append((merge, 0))


def _mark_outputs(draw, doc: GraphDocument, values: list) -> None:
    """Maybe return through Output nodes: one per dangling node (so nothing is left unused), plus any values."""
    if not draw(st.booleans()):
        return
    feeding = {e.source for e in doc.edges}
    dangling = [(n, 0) for n, node in doc.nodes.items() if n not in feeding and node.type != "Input"]
    for source, port in draw(st.permutations(dangling + draw(st.lists(st.sampled_from(values), max_size=2)))):
        doc.connect(Edge(source, doc.add_node("Output"), port, 0))


@st.composite
def graphs(draw, max_steps: int = 6) -> GraphDocument:
    doc = GraphDocument("random graph")
    shape, dtype = _INPUTS[draw(st.sampled_from(sorted(_INPUTS)))]
    doc.add_node("Input", {"shape": shape, "dtype": dtype}, node_id="input")
    values = [("input", 0)]
    for _ in range(draw(st.integers(1, max_steps))):
        report = infer_shapes(doc)
        source = draw(st.sampled_from(values))
        t = report.value_type(*source)
        layer, params = draw(st.sampled_from(_choices(t.shape, t.dtype)))
        node = doc.add_node(layer, draw(params))
        doc.connect(Edge(source[0], node, source[1], 0))
        report = infer_shapes(doc)
        if report.nodes[node].status == "error":
            doc.remove_node(node)
            continue
        values.append((node, 0))
        if layer in ("LSTM", "GRU", "RNN") and draw(st.booleans()):
            values.append((node, 1))
        _merge(draw, doc, report, node, values)
    if len(doc.nodes) == 1:
        doc.connect(Edge("input", doc.add_node("Identity"), 0, 0))
    _mark_outputs(draw, doc, values)
    return doc
