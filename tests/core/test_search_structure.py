"""Structure in a search space: a node that may be bypassed, a block's repeat count, targets that follow edits."""

import pytest

from netbuilder.core.errors import GraphError, ParamError
from netbuilder.core.fileformat import document_from_dict, dumps, load_graph, loads
from netbuilder.core.records import Edge
from netbuilder.core.search_space import apply_values, bypass_problems, prune_targets, renamed_block, renamed_targets
from netbuilder.core.shapes import infer_shapes
from tests.core.test_search_space import graph

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
SKIP = {"kind": "choice", "choices": [False, True], "targets": ["drop.bypass"]}


def test_a_bypassed_node_is_left_out_its_input_wired_to_its_output_and_its_targets_dropped():
    search = {"space": {"skip": SKIP, "p": {"kind": "float", "low": 0.0, "high": 0.5, "targets": ["drop.p"]}}}
    data = graph(search)
    data["nodes"].append({"id": "out", "type": "Output", "params": {}})
    data["edges"].append({"source": "drop", "target": "out"})
    doc = document_from_dict(data)
    assert bypass_problems(doc, infer_shapes(doc)) == []
    trial = apply_values(doc, {"skip": True, "p": 0.3})
    assert "drop" not in trial.nodes and Edge("conv2", "out") in trial.edges
    assert trial.search == {}  # both variables named only the node that went: a copy saved loads again
    assert loads(dumps(trial)) == trial
    assert not infer_shapes(trial).errors
    kept = apply_values(doc, {"skip": False, "p": 0.3})
    assert kept.nodes["drop"].params["p"] == 0.3 and kept.search == doc.search


def test_a_node_that_changes_the_shape_cannot_be_bypassed_and_the_message_names_it():
    doc = document_from_dict(graph({"space": {"skip": {**SKIP, "targets": ["conv1.bypass", "x.bypass"]}}}))
    problems = bypass_problems(doc, infer_shapes(doc))
    assert problems[0].startswith("search.space.skip.targets[0]: Conv2d 'conv1' cannot be bypassed: its output")
    assert "differs from its input" in problems[0]
    assert problems[1] == "search.space.skip.targets[1]: Input 'x' cannot be bypassed: only a node between an " \
                          "input and an output can be"


def test_a_bypass_takes_only_true_and_false():
    with pytest.raises(GraphError) as caught:
        document_from_dict(graph({"space": {"skip": {**SKIP, "choices": [0, 1]}}}))
    assert caught.value.problems == ["search.space.skip.targets[0]: 'drop.bypass' says whether node 'drop' is "
                                     "skipped: expected choices of true and false"]


def test_a_node_without_one_input_wire_cannot_be_skipped_in_a_trial():
    doc = document_from_dict(graph({"space": {"skip": SKIP}}))
    doc.disconnect(Edge("conv2", "drop"))
    with pytest.raises(ParamError) as caught:
        apply_values(doc, {"skip": True})
    assert caught.value.field == "drop.bypass" and "exactly one input wire" in caught.value.detail


def test_pruning_keeps_what_still_names_a_node():
    doc = document_from_dict(graph())
    search = {"space": {"w": {"kind": "int", "low": 2, "high": 8, "targets": ["conv1.out_channels", "gone.x"]},
                        "v": {"kind": "int", "low": 2, "high": 8, "targets": ["gone.y"]},
                        "lr": {"kind": "float", "low": 0.1, "high": 1.0, "targets": ["training.lr"]}},
              "study": {"trials": 3}}
    assert prune_targets(search, doc) == {"space": {"w": {**search["space"]["w"], "targets": ["conv1.out_channels"]},
                                                    "lr": search["space"]["lr"]}, "study": {"trials": 3}}
    assert prune_targets({"space": {"v": search["space"]["v"]}}, doc) == {}
    gone_param = {"space": {"k": {"kind": "int", "low": 1, "high": 3, "targets": ["conv1.groups_of", "drop.bypass"]}}}
    assert prune_targets(gone_param, doc)["space"]["k"]["targets"] == ["drop.bypass"]  # a parameter undeclared


def test_block_targets_follow_a_node_renamed_inside_the_block_and_the_block_renamed():
    search = {"space": {"w": {"kind": "int", "low": 1, "high": 4, "targets": ["B/conv.out_channels", "conv.k"]}}}
    assert renamed_targets(search, "conv", "c2", block="B")["space"]["w"]["targets"] == ["B/c2.out_channels", "conv.k"]
    assert renamed_block(search, "B", "C")["space"]["w"]["targets"] == ["C/conv.out_channels", "conv.k"]


def test_a_repeat_count_varies_and_renames_with_its_block_in_the_transformer_example():
    doc = load_graph(ROOT / "examples" / "transformer_sequence.json")
    doc.set_search({"space": {"depth": {"kind": "int", "low": 1, "high": 3, "targets": ["encoder.repeat"]},
                              "ff": {"kind": "int", "low": 16, "high": 64, "step": 16,
                                     "targets": ["encoder.feedforward"]},
                              "drop": {"kind": "float", "low": 0.0, "high": 0.3,
                                       "targets": ["TransformerEncoderBlock/dropout1.p"]}}})
    for depth in (1, 3):
        trial = apply_values(doc, {"depth": depth, "ff": 32, "drop": 0.2})
        assert trial.nodes["encoder"].params["repeat"] == depth
        assert trial.blocks["TransformerEncoderBlock"].nodes["dropout1"].params["p"] == 0.2
        report = infer_shapes(trial)
        assert not report.errors and len(report.nodes["encoder"].block.copies) == depth
    with pytest.raises(GraphError, match="repeat"):
        doc.set_search({"space": {"depth": {"kind": "int", "low": 0, "high": 3, "targets": ["encoder.repeat"]}}})
    doc.rename_block("TransformerEncoderBlock", "Encoder")
    assert doc.search["space"]["drop"]["targets"] == ["Encoder/dropout1.p"]
    doc.blocks["Encoder"].rename_node("dropout1", "attn_drop")
    assert doc.search["space"]["drop"]["targets"] == ["Encoder/attn_drop.p"]
    assert loads(dumps(doc)) == doc


def test_check_warns_about_a_bypass_the_study_would_refuse(tmp_path, capsys):
    from netbuilder.cli import main
    from netbuilder.core.fileformat import save_graph

    doc = document_from_dict(graph({"space": {"skip": {**SKIP, "targets": ["conv1.bypass"]}}}))
    save_graph(doc, tmp_path / "g.json")
    assert main(["check", str(tmp_path / "g.json"), "--strict"]) == 1
    assert "warning: search.space.skip.targets[0]: Conv2d 'conv1' cannot be bypassed" in capsys.readouterr().out
