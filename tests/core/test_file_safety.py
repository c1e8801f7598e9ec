"""What a careless edit or a hostile file cannot do: text that cannot be saved,
graphs ``check`` passes but build refuses, absurd sizes, half-written files."""

from __future__ import annotations

import json
import os
import time

import pytest
from core_helpers import chain
from test_fileformat import INPUT, LINEAR, file_text, problems_of

from netbuilder.core.atomic import STALE_AFTER_S, write_atomic
from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.errors import GraphError
from netbuilder.core.export import export_python
from netbuilder.core.fileformat import dumps, loads, save_graph
from netbuilder.core.shapes import LARGE_MODEL_PARAMS, infer_shapes


@pytest.mark.parametrize("where, data", [
    ("nodes[1].id", {"nodes": [INPUT, {**LINEAR, "id": "fc\ud800"}]}),
    ("name", {"name": "net\udfff"}),
    ("training.optimizer", {"training": {"optimizer": "adam\ud800"}}),
    ("meta.notes[0]", {"meta": {"notes": ["\ud83d"]}}),
])
@pytest.mark.parametrize("escaped", [True, False], ids=["escaped", "raw"])
def test_text_that_cannot_be_saved_is_refused_at_load_by_its_path(where, data, escaped):
    text = json.dumps({"format": "netbuilder.graph", "version": 1, "nodes": [INPUT], "edges": [], **data},
                      ensure_ascii=escaped)  # raw: the surrogate itself in the text handed to loads()
    [problem] = problems_of(text)
    assert problem.startswith(f"{where}: text contains the lone surrogate U+")


def test_an_output_feeding_a_layer_is_an_error_that_build_and_export_agree_with():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Output", {}, "out"), ("ReLU", {}, "relu"))
    report = infer_shapes(doc)
    assert [p.message for p in report.errors] == [
        "Output 'out': an Output ends the model and feeds only other Outputs, not ReLU 'relu': connect that node "
        "to the layer before the Output"]
    assert report.status_of("out") == "error"
    for refuses in (build_model, export_python):
        with pytest.raises(GraphError, match="an Output ends the model"):
            refuses(doc)


def test_an_output_may_alias_another_output():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Output", {}, "a"), ("Output", {}, "b"))
    assert infer_shapes(doc).ok and build_model(doc) is not None


def test_batch_norm_eps_zero_is_refused_with_its_field():
    node = {"id": "bn", "type": "BatchNorm1d", "params": {"eps": 0}}
    assert problems_of(file_text([INPUT, node], [{"source": "x", "target": "bn"}])) == [
        "nodes[1].params.eps: expected a number > 0, got 0.0"]


def test_a_model_too_big_for_memory_is_warned_about_and_refused_before_allocating():
    doc = chain(("Input", {"shape": [100_000]}, "x"), ("Linear", {"out_features": 10**7}, "fc"))
    report = infer_shapes(doc)
    assert report.ok and report.total_params > LARGE_MODEL_PARAMS
    [warning] = report.warnings
    assert warning.message.startswith("the model has 1,000,010,000,000 parameters (")
    with pytest.raises(GraphError, match="more than this machine's .* GiB of memory"):
        build_model(doc)


def test_rename_rewrites_frozen_ids_and_records_the_weights_ids():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Linear", {"out_features": 2}, "fc"))
    doc.training["freeze"] = ["fc"]
    doc.meta["weights"] = "net.weights.pt"
    doc.rename_node("fc", "head")
    doc.rename_node("head", "classifier")
    assert doc.training["freeze"] == ["classifier"]
    assert doc.meta["weights_ids"] == {"classifier": "fc"}
    doc.rename_node("classifier", "fc")
    assert "weights_ids" not in doc.meta


def test_weights_ids_are_not_saved_without_a_weights_file():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Linear", {"out_features": 2}, "fc"))
    doc.rename_node("fc", "head")
    assert "meta" not in json.loads(dumps(doc))


def test_a_hand_edited_edge_list_is_seen_by_the_wiring_graph():
    doc = chain(("Input", {"shape": [4]}, "x"), ("ReLU", {}, "a"))
    doc.add_node("ReLU", node_id="b")
    assert doc.in_edges("b") == []  # the wiring graph is built now
    doc.edges.append(Edge("a", "b"))
    assert doc.in_edges("b") == [Edge("a", "b")]


def test_load_checks_a_long_chain_in_one_pass():
    nodes = [INPUT] + [{"id": f"r{i}", "type": "ReLU"} for i in range(3000)]
    edges = [{"source": "x", "target": "r0"}] + [{"source": f"r{i}", "target": f"r{i + 1}"} for i in range(2999)]
    doc = loads(file_text(nodes, edges))
    assert len(doc.edges) == 3000 and infer_shapes(doc).ok


# -- atomic writes -----------------------------------------------------------------------
def test_an_atomic_write_keeps_the_files_mode(tmp_path):
    path = tmp_path / "graph.json"
    path.write_text("old")
    path.chmod(0o640)
    write_atomic(path, "new")
    assert path.read_text() == "new" and (path.stat().st_mode & 0o777) == 0o640


def test_a_new_file_gets_the_umasks_mode_not_a_private_one(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.json", b"x")
    finally:
        os.umask(old)
    assert ((tmp_path / "a.json").stat().st_mode & 0o777) == 0o644


def test_stale_temporaries_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "graph.json"
    stale, fresh, other = (tmp_path / ".graph.json.abc.tmp", tmp_path / ".graph.json.def.tmp",
                           tmp_path / ".other.json.ghi.tmp")
    for leftover in (stale, fresh, other):
        leftover.write_text("half")
    old = time.time() - STALE_AFTER_S - 10
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    save_graph(GraphDocument("g"), path)
    assert not stale.exists() and fresh.exists() and other.exists()
    assert loads(path.read_text()).name == "g"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(b"old")

    def fails(tmp):
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(path, fails)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["w.pt"]


def test_a_layer_whose_output_would_not_fit_in_memory_is_refused_at_that_node():
    doc = chain(("Input", {"shape": [100_000]}, "x"), ("Linear", {"out_features": 10**9}, "fc"))
    report = infer_shapes(doc)
    [error] = report.errors
    assert error.node_id == "fc" and "1,000,000,000 values per sample" in error.message


def test_renaming_a_gan_network_rewrites_its_role_and_renaming_back_restores_the_file():
    from pathlib import Path

    from netbuilder.core.fileformat import load_graph

    doc = load_graph(Path(__file__).resolve().parents[2] / "examples" / "gan_digits.json")
    before = dumps(doc)
    doc.rename_node("generator", "painter")
    assert doc.training["gan"] == {"generator": "painter"}
    doc.rename_node("discriminator", "critic")
    assert doc.training["gan"] == {"generator": "painter", "discriminator": "critic"}
    doc.rename_node("painter", "generator")
    doc.rename_node("critic", "discriminator")
    assert "gan" not in doc.training and dumps(doc) == before
