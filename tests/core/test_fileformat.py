"""The graph file format: a public contract users keep in git."""

import json

import pytest
from core_helpers import EXAMPLES, chain, wire

from netbuilder.core.document import VERSION, GraphDocument
from netbuilder.core.errors import GraphError
from netbuilder.core.fileformat import dumps, load_graph, loads, save_graph


def problems_of(text: str) -> list[str]:
    with pytest.raises(GraphError) as caught:
        loads(text, "net.json")
    assert str(caught.value).startswith("net.json: ")
    return caught.value.problems


def file_text(node_list, edges=(), **top) -> str:
    data = {"format": "netbuilder.graph", "version": 1, "name": "t", "nodes": node_list, "edges": list(edges)}
    return json.dumps({**data, **top})


INPUT = {"id": "x", "type": "Input", "params": {"shape": [4]}}
LINEAR = {"id": "fc", "type": "Linear", "params": {"out_features": 2}}


def sample() -> GraphDocument:
    doc = chain(("Input", {"shape": [3, 8, 8]}, "image"),
                ("Conv2d", {"out_channels": 8, "kernel_size": [3, 5], "padding": 1}, "conv"),
                ("ReLU", {}, "relu"), name="sample ünïcode")
    doc.add_node("Conv2d", {"out_channels": 8, "kernel_size": [3, 5], "padding": 1}, node_id="conv_b")
    doc.add_node("Add", node_id="add")
    wire(doc, ("image", "conv_b"), ("relu", "add"), ("conv_b", "add", 0, 1))
    doc.move_node("conv", (240.04, -75.26))
    doc.set_meta("view", {"zoom": 1.5})
    doc.set_training({"epochs": 3})
    return doc


def test_round_trip_keeps_everything():
    doc = sample()
    again = loads(dumps(doc))
    assert again == doc
    assert again.name == "sample ünïcode"
    assert again.nodes["conv"].params["kernel_size"] == [3, 5]
    assert again.nodes["conv"].pos == (240.0, -75.3)
    assert again.meta == {"view": {"zoom": 1.5}} and again.training == {"epochs": 3}


def test_text_is_stable_and_diff_friendly(tmp_path):
    path = tmp_path / "g.json"
    save_graph(sample(), path)
    first = path.read_bytes()
    save_graph(load_graph(path), path)
    assert path.read_bytes() == first
    text = first.decode("utf-8")
    assert "ünïcode" in text  # not \u-escaped
    node_lines = [line for line in text.splitlines() if '"type": ' in line]
    assert len(node_lines) == 5  # one line per node: a change to one layer is a one-line diff
    assert '"bias"' not in text  # defaults stay out of the file
    assert '"kernel_size": [3, 5]' in text and '"out_channels": 8' in text


def test_examples_are_saved_in_canonical_form():
    """Version-1 examples (from before blocks) migrate unchanged: they save the same, version apart."""
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        if json.loads(text)["version"] == 1:
            text = text.replace('"version": 1,', f'"version": {VERSION},', 1)
        assert dumps(load_graph(path)) == text, path.name


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "g.json"
    path.write_text("old", encoding="utf-8")
    save_graph(sample(), path)
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]
    assert loads(path.read_text(encoding="utf-8")) == sample()


def test_bad_param_names_its_path():
    bad = {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": "x"}}
    problems = problems_of(file_text([INPUT, LINEAR, {**LINEAR, "id": "fc2"}, bad]))
    assert problems == ['nodes[3].params.kernel_size: expected a positive int or pair, got "x"']


def test_every_problem_is_listed_at_once():
    nodes = [
        INPUT,
        {"id": "a", "type": "Dense", "params": {}},
        {"id": "b", "type": "Linear", "params": {}},
        {"id": "x", "type": "ReLU", "params": {}},
        {"id": "c", "type": "Linear", "params": {"out_features": 0}},
        {"id": "", "type": "ReLU"},
        {"id": "d", "type": "ReLU", "pos": [0, "y"]},
    ]
    edges = [{"source": "x", "target": "ghost"}, {"source": "x", "target": "a"}, {"source": 3, "target": "x"}]
    problems = problems_of(file_text(nodes, edges, version=1))
    assert problems == [
        "nodes[1].type: unknown layer type 'Dense'",
        "nodes[2].params.out_features: required by Linear, missing",
        "nodes[3].id: duplicate id 'x'",
        "nodes[4].params.out_features: expected an integer ≥ 1, got 0",
        "nodes[5].id: expected a non-empty string, got ''",
        'nodes[6].pos: expected [x, y] numbers, got [0, "y"]',
        "edges[0]: no node with id 'ghost'",
        "edges[2].source: expected a node id, got 3",
    ]  # edges[1] touches the refused node 'a': not reported twice


def test_edges_are_checked():
    relu = {"id": "r", "type": "ReLU", "params": {}}
    add = {"id": "add", "type": "Add", "params": {}}
    cases = {
        "edges[1]: a node cannot be connected to itself": [{"source": "r", "target": "r"}],
        "edges[1]: ReLU 'r' has no output port 1": [{"source": "r", "target": "add", "source_port": 1}],
        "edges[1]: ReLU 'r' has no input port 1": [{"source": "x", "target": "r", "target_port": 1}],
        "edges[1]: input 0 of 'r' is already fed by 'x'": [{"source": "add", "target": "r"}],
        "edges[1].target_port: expected a port number from 0 to 1023, got -1": [{"source": "x", "target": "add",
                                                                                  "target_port": -1}],
        "edges[1].source_port: expected a port number from 0 to 1023, got 1024": [{"source": "x", "target": "add",
                                                                                   "source_port": 1024}],
    }
    for expected, extra in cases.items():
        text = file_text([INPUT, relu, add], [{"source": "x", "target": "r"}, *extra])
        assert problems_of(text) == [expected]


def test_cycle_in_file_is_refused():
    nodes = [INPUT, {"id": "a", "type": "Add"}, {"id": "b", "type": "ReLU"}]
    edges = [{"source": "x", "target": "a"}, {"source": "a", "target": "b"},
             {"source": "b", "target": "a", "target_port": 1}]
    assert problems_of(file_text(nodes, edges)) == ["edges[2]: connecting 'b' to 'a' would make a cycle"]


@pytest.mark.parametrize("text, expected", [
    ('{"format": "netbuilder.graph",\n "version": 1,\n "nodes": [}', "line 3, column 12: invalid JSON"),
    ("", "line 1, column 1: invalid JSON"),
    ("[1, 2]", "expected a JSON object at the top level"),
    ("[" * 100_000 + "]" * 100_000, "the JSON is nested too deeply to be a graph file"),
])
def test_invalid_json_names_line_and_column(text, expected):
    assert problems_of(text)[0].startswith(expected)


@pytest.mark.parametrize("top, expected", [
    ({"format": "other"}, "format: expected 'netbuilder.graph', got 'other'"),
    ({"version": VERSION + 1}, f"version: the file is version {VERSION + 1}, newer than this netbuilder reads "
                               f"({VERSION}): please upgrade netbuilder"),
    ({"version": "1"}, "version: expected a positive integer, got '1'"),
    ({"nodes": {}}, "nodes: expected a list"),
    ({"name": 3}, "name: expected a string, got 3"),
    ({"meta": []}, "meta: expected an object"),
])
def test_top_level_problems(top, expected):
    assert problems_of(file_text([INPUT], **top)) == [expected]


@pytest.mark.parametrize("pos, shown", [
    ([0, float("nan")], "[0, NaN]"),
    ([10**400, 0], f"[{10**400}, 0]"),  # too big for a float: refused, not an OverflowError
    ([True, 0], "[true, 0]"),
    ([1, 2, 3], "[1, 2, 3]"),
])
def test_positions_that_are_not_two_finite_numbers_are_refused(pos, shown):
    assert problems_of(file_text([{**INPUT, "pos": pos}])) == [f"nodes[0].pos: expected [x, y] numbers, got {shown}"]


def test_every_cycle_is_named_by_the_edge_that_closes_it():
    nodes = [INPUT, *({"id": i, "type": "Add"} for i in "abcd")]
    edges = [{"source": "x", "target": "a"}, {"source": "a", "target": "b"},
             {"source": "b", "target": "a", "target_port": 1},
             {"source": "x", "target": "c"}, {"source": "c", "target": "d"},
             {"source": "d", "target": "c", "target_port": 1}]
    assert problems_of(file_text(nodes, edges)) == ["edges[2]: connecting 'b' to 'a' would make a cycle",
                                                    "edges[5]: connecting 'd' to 'c' would make a cycle"]


def test_a_node_id_may_hold_any_text_that_survives_utf8():
    ids = ["tab\there", "non\u00a0breaking", "zero\u200bwidth", "line\nbreak", "ünï"]
    doc = loads(file_text([INPUT, *({"id": i, "type": "ReLU"} for i in ids)]))
    assert list(doc.nodes)[1:] == ids


def test_loading_leaves_the_cycle_collector_as_it_was():
    import gc

    loads(file_text([INPUT]))
    with pytest.raises(GraphError):
        loads("[]")
    assert gc.isenabled()
    gc.disable()
    try:
        loads(file_text([INPUT]))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_unreadable_files_raise_graph_error_with_the_path(tmp_path):
    with pytest.raises(GraphError, match=r"missing\.json: cannot read file"):
        load_graph(tmp_path / "missing.json")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(GraphError, match="not a UTF-8 text file"):
        load_graph(binary)
    with pytest.raises(GraphError, match="cannot read file"):
        load_graph(tmp_path)


def test_loading_never_executes_code(tmp_path):
    hostile = {"id": "__import__('os').system('touch pwned')", "type": "ReLU"}
    doc = loads(file_text([INPUT, hostile], [{"source": "x", "target": hostile["id"]}],
                          name="'''; import os; '''"))
    assert hostile["id"] in doc.nodes
    assert not (tmp_path / "pwned").exists()


def test_unknown_extra_keys_are_tolerated_for_forward_compatibility():
    doc = loads(file_text([{**INPUT, "note": "later versions may add keys"}], future={"x": 1}))
    assert list(doc.nodes) == ["x"]
