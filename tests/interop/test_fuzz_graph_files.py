"""Fuzzing graph files through everything a file can reach.

Valid random graphs (the ``interop_random_graphs`` strategy) are written to
JSON, mutated the way hand edits and broken tools mutate files (wrong types,
hostile text, lone surrogates, unknown layers, extra wires, absurd sizes),
then pushed through load → check → build → forward → export → running the
exported code → save → load. The test fails on any exception that is not
netbuilder's own error, and on any disagreement: a graph that ``check``
passes must build, run and export; one it refuses must be refused by build
and export too. A few hundred cases run in CI; ``-m slow`` runs thousands.
"""

from __future__ import annotations

import copy
import json
import types

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interop_random_graphs import graphs

from netbuilder.core.compiler import build_model
from netbuilder.core.errors import GraphError, NetbuilderError
from netbuilder.core.export import export_python
from netbuilder.core.fileformat import dumps, loads
from netbuilder.core.layers import all_specs
from netbuilder.core.shapes import infer_shapes

#: Graphs with more parameters than this are checked but not built (memory, time).
BUILD_LIMIT = 2_000_000

_text = st.one_of(st.text(max_size=12), st.sampled_from(["", " ", "fc\ud800", "\udfff", "x\x00y", "a\nb",
                                                          "__import__('os')", "日本語", "x" * 500]))
_json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.floats(allow_nan=True, allow_infinity=True),
              _text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=6,
)
_small_value = st.one_of(st.integers(-2, 70), st.sampled_from([0.0, 1e-9, 0.5, 1e308, 2**31, 10**9]), _json_value)
_layer_types = st.sampled_from(sorted(spec.type for spec in all_specs()))


@st.composite
def _mutation(draw, data: dict) -> None:
    """Change ``data`` in place in one of the ways real files go wrong."""
    nodes, edges = data["nodes"], data["edges"]
    node = draw(st.sampled_from(nodes))
    kind = draw(st.sampled_from(["param", "param", "new param", "type", "id", "edge", "drop edge", "port",
                                 "drop key", "duplicate", "top", "shape"]))
    if kind == "param" and node["params"]:
        node["params"][draw(st.sampled_from(sorted(node["params"])))] = draw(_small_value)
    elif kind == "new param":
        node["params"][draw(st.sampled_from(["out_features", "kernel_size", "eps", "p", "dim", "x"]))] = \
            draw(_small_value)
    elif kind == "type":
        node["type"] = draw(st.one_of(_layer_types, _text))
    elif kind == "id":
        node["id"] = draw(st.one_of(_text, _json_value))
    elif kind == "edge":
        source, target = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        edges.append({"source": source.get("id"), "target": target.get("id"),
                      "source_port": draw(st.integers(0, 2)), "target_port": draw(st.integers(0, 2))})
    elif kind == "drop edge" and edges:
        edges.pop(draw(st.integers(0, len(edges) - 1)))
    elif kind == "port" and edges:
        edge = draw(st.sampled_from(edges))
        edge[draw(st.sampled_from(["source_port", "target_port"]))] = draw(st.one_of(st.integers(-1, 3), _json_value))
    elif kind == "drop key":
        node.pop(draw(st.sampled_from(sorted(node))))
    elif kind == "duplicate":
        nodes.append(copy.deepcopy(node))
    elif kind == "top":
        data[draw(st.sampled_from(["name", "version", "training", "meta", "nodes"]))] = draw(_json_value)
    elif kind == "shape" and node.get("type") == "Input":
        node["params"]["shape"] = draw(st.one_of(st.lists(st.integers(-1, 40), max_size=4), _json_value))


@st.composite
def graph_files(draw) -> str:
    data = draw(graphs(max_steps=5)).to_dict()
    data["edges"] = data.get("edges", [])
    for _ in range(draw(st.integers(0, 3))):
        if not (isinstance(data.get("nodes"), list) and data["nodes"] and isinstance(data.get("edges"), list)
                and all(isinstance(n, dict) and isinstance(n.get("params"), dict) for n in data["nodes"])):
            break
        draw(_mutation(data))
    return json.dumps(data, ensure_ascii=False)


def _inputs(doc, report):
    tensors = []
    for node_id in report.inputs:
        params = doc.nodes[node_id].params
        if params["dtype"] == "int64":
            tensors.append(torch.zeros((2, *params["shape"]), dtype=torch.int64))
        else:
            tensors.append(torch.randn(2, *params["shape"]))
    return tensors


def through_everything(text: str) -> None:
    try:
        doc = loads(text, "fuzzed.json")
    except GraphError:
        return
    report = infer_shapes(doc)
    if report.errors:
        for refuses in (build_model, export_python):
            with pytest.raises(GraphError):
                refuses(doc)
        return
    again = loads(dumps(doc), "saved.json")  # what loads saves and loads back the same
    assert again.to_dict() == doc.to_dict()
    if report.total_params > BUILD_LIMIT:
        return
    model = build_model(doc, report).eval()
    with torch.no_grad():
        expected = model(*_inputs(doc, report))
    module = types.ModuleType("exported")
    source = export_python(doc)
    exec(compile(source, "exported.py", "exec"), module.__dict__)
    exported = getattr(module, type(model).__name__)()
    exported.load_state_dict(model.state_dict())
    with torch.no_grad():
        got = exported.eval()(*_inputs(doc, report))
    assert type(got) is type(expected)


def _fuzz(text: str) -> None:
    try:
        torch.manual_seed(0)
        through_everything(text)
    except NetbuilderError as err:
        pytest.fail(f"check passed but a later step refused the graph: {err}\n{text}")


_fast = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
_long = settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))


@_fast
@given(graph_files())
def test_fuzzed_graph_files_give_only_netbuilder_errors(text):
    _fuzz(text)


@pytest.mark.slow
@_long
@given(graph_files())
def test_many_fuzzed_graph_files(text):
    _fuzz(text)
