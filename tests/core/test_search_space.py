"""The graph's search section: validated on load naming the field, applied to a copy, renamed with its node."""

import pytest

from netbuilder.core.errors import GraphError, ParamError
from netbuilder.core.fileformat import document_from_dict, dumps, loads
from netbuilder.core.search_space import apply_values, read_space, space_problems, target_problems, targets_of_node

SPACE = {
    "lr": {"kind": "float", "low": 1e-4, "high": 0.1, "log": True, "targets": ["training.lr"]},
    "width": {"kind": "int", "low": 8, "high": 64, "step": 8, "targets": ["conv1.out_channels", "conv2.out_channels"]},
    "dropout": {"kind": "float", "low": 0.0, "high": 0.5, "targets": ["drop.p"]},
    "opt": {"kind": "choice", "choices": ["adam", "sgd"], "targets": ["training.optimizer"]},
}


def graph(search=None) -> dict:
    data = {
        "format": "netbuilder.graph", "version": 1, "name": "g",
        "nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
            {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}},
            {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}},
            {"id": "drop", "type": "Dropout", "params": {"p": 0.1}},
        ],
        "edges": [{"source": "x", "target": "conv1"}, {"source": "conv1", "target": "conv2"},
                  {"source": "conv2", "target": "drop"}],
        "training": {"optimizer": {"lr": 0.01}},
    }
    if search is not None:
        data["search"] = search
    return data


def test_a_search_section_loads_and_saves_between_edges_and_training():
    doc = document_from_dict(graph({"space": SPACE, "study": {"sampler": "tpe", "trials": 5}}))
    assert doc.search["space"]["width"]["targets"] == ["conv1.out_channels", "conv2.out_channels"]
    data = doc.to_dict()
    assert list(data) == ["format", "version", "name", "nodes", "edges", "search", "training"]
    assert loads(dumps(doc)) == doc


def test_no_search_section_is_written_when_empty():
    assert "search" not in document_from_dict(graph()).to_dict()


@pytest.mark.parametrize("variable, field, words", [
    ({"kind": "choice", "choices": [], "targets": ["training.optimizer"]}, "search.space.v.choices", "non-empty"),
    ({"kind": "int", "low": 9, "high": 3, "targets": ["conv1.out_channels"]}, "search.space.v", "greater than high"),
    ({"kind": "float", "low": 0.0, "high": 1.0, "log": True, "targets": ["training.lr"]}, "search.space.v.low",
     "log range needs low > 0"),
    ({"kind": "float", "low": 0.1, "high": 0.5, "targets": ["drop.rate"]}, "search.space.v.targets[0]",
     "has no parameter 'rate'"),
    ({"kind": "float", "low": 0.1, "high": 0.5, "targets": ["dropp"]}, "search.space.v.targets[0]", "is not"),
    ({"kind": "int", "low": 1, "high": 10, "step": 4, "targets": ["conv1.out_channels"]}, "search.space.v.step",
     "not a multiple"),
    ({"kind": "float", "low": 0.1, "high": 1.5, "targets": ["drop.p"]}, "search.space.v.targets[0]", "drop.p"),
    ({"kind": "range", "targets": ["drop.p"]}, "search.space.v.kind", "expected one of"),
    ({"kind": "float", "low": 0.1, "high": 0.2}, "search.space.v.targets", "non-empty list"),
])
def test_bad_variables_are_refused_on_load_naming_the_field(variable, field, words):
    with pytest.raises(GraphError) as caught:
        document_from_dict(graph({"space": {"v": variable}}))
    assert any(p.startswith(field + ":") and words in p for p in caught.value.problems), caught.value.problems


def test_bad_study_settings_name_their_field():
    problems = space_problems({"space": {}, "study": {"sampler": "bayes", "trials": 0, "extra": 1}})
    assert any(p.startswith("search.study.sampler:") for p in problems)
    assert any(p.startswith("search.study.trials:") for p in problems)
    assert any(p.startswith("search.study.extra:") for p in problems)


def test_a_file_whose_search_names_a_missing_node_is_refused_naming_it():
    with pytest.raises(GraphError) as caught:
        document_from_dict(graph({"space": {"w": {"kind": "int", "low": 2, "high": 4,
                                                  "targets": ["conv9.out_channels"]}}}))
    assert caught.value.problems == ["search.space.w.targets[0]: 'conv9.out_channels' names no node 'conv9' in "
                                     "the graph"]


def test_a_block_target_without_blocks_names_the_block():
    with pytest.raises(GraphError) as caught:
        document_from_dict(graph({"space": {"w": {"kind": "int", "low": 2, "high": 4,
                                                  "targets": ["Basic/conv1.out_channels"]}}}))
    assert "block 'Basic'" in caught.value.problems[0]


def test_a_study_refuses_a_missing_node_of_a_document_built_in_code():
    doc = document_from_dict(graph())
    doc.search = {"space": {"w": {"kind": "int", "low": 2, "high": 4, "targets": ["conv9.out_channels"]}}}
    assert target_problems(doc) == ["search.space.w.targets[0]: 'conv9.out_channels' names no node 'conv9' in "
                                    "the graph"]


def test_values_go_into_a_copy_tied_targets_and_training_included():
    doc = document_from_dict(graph({"space": SPACE}))
    trial = apply_values(doc, {"lr": 0.05, "width": 16, "dropout": 0.3, "opt": "sgd"})
    assert trial.nodes["conv1"].params["out_channels"] == trial.nodes["conv2"].params["out_channels"] == 16
    assert trial.nodes["drop"].params["p"] == 0.3
    assert trial.training["optimizer"] == {"lr": 0.05, "name": "sgd"}
    assert doc.nodes["conv1"].params["out_channels"] == 4 and doc.training["optimizer"] == {"lr": 0.01}


def test_a_value_a_parameter_refuses_names_the_target():
    doc = document_from_dict(graph({"space": SPACE}))
    with pytest.raises(ParamError) as caught:
        apply_values(doc, {"width": 0})
    assert caught.value.field == "conv1.out_channels"


def test_rename_rewrites_targets_and_set_search_reports_the_nodes():
    doc = document_from_dict(graph())
    seen = []
    doc.subscribe(seen.append)
    doc.set_search({"space": SPACE})
    assert set(seen[-1].ids) == {"conv1", "conv2", "drop"}
    doc.rename_node("conv1", "stem")
    assert doc.search["space"]["width"]["targets"] == ["stem.out_channels", "conv2.out_channels"]
    assert targets_of_node(doc.search, "stem") == {"out_channels": "width"}
    with pytest.raises(GraphError):
        doc.set_search({"space": {"v": {"kind": "choice", "choices": [], "targets": ["drop.p"]}}})
    assert "width" in doc.search["space"]


def test_grid_values_of_each_kind():
    space = read_space({"space": SPACE})
    assert space.variables["width"].grid() == [8, 16, 24, 32, 40, 48, 56, 64]
    assert space.variables["opt"].grid() == ["adam", "sgd"]
    lr = space.variables["lr"].grid(3)
    assert lr[0] == pytest.approx(1e-4) and lr[1] == pytest.approx(10 ** -2.5) and lr[2] == pytest.approx(0.1)
    assert space.study["sampler"] == "tpe"


def test_check_names_a_search_target_whose_node_is_gone(tmp_path, capsys):
    from netbuilder.cli import main

    data = graph({"space": {"w": {"kind": "int", "low": 2, "high": 4, "targets": ["conv9.out_channels"]}}})
    (tmp_path / "g.json").write_text(__import__("json").dumps(data))
    assert main(["check", str(tmp_path / "g.json")]) != 0
    captured = capsys.readouterr()
    assert "search.space.w.targets[0]: 'conv9.out_channels' names no node 'conv9'" in captured.out + captured.err
