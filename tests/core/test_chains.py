"""A block whose nodes are a chain called 0, 1, … is written as the nn.Sequential it is."""

import pytest

from netbuilder.core.chains import chain
from netbuilder.core.compiler import build_model
from netbuilder.core.export import export_python
from netbuilder.core.fileformat import document_from_dict


def _graph(blocks_nodes, blocks_edges) -> dict:
    return {
        "format": "netbuilder.graph", "version": 2, "name": "net",
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4, 8, 8]}},
                  {"id": "stage", "type": "Stage", "params": {"channels": 6}}],
        "edges": [{"source": "x", "target": "stage"}],
        "blocks": {"Stage": {"parameters": {"channels": {"kind": "int", "default": 8}},
                             "nodes": blocks_nodes, "edges": blocks_edges}},
    }


NODES = [{"id": "input", "type": "Input", "params": {"shape": [4, 8, 8]}},
         {"id": "0", "type": "Conv2d", "params": {"out_channels": "$channels", "kernel_size": 3, "padding": 1}},
         {"id": "1", "type": "BatchNorm2d"},
         {"id": "2", "type": "ReLU"},
         {"id": "output", "type": "Output"}]
CHAIN = [{"source": "input", "target": "0"}, {"source": "0", "target": "1"}, {"source": "1", "target": "2"},
         {"source": "2", "target": "output"}]


def test_a_chain_of_numbered_modules_is_an_nn_sequential_with_its_keys():
    doc = document_from_dict(_graph(NODES, CHAIN))
    assert chain(doc.blocks["Stage"]) == ["0", "1", "2"]
    source = export_python(doc)
    assert "class Stage(nn.Sequential):" in source and "def forward" not in source.split("class Net")[0]
    keys = list(build_model(doc).state_dict())
    assert keys[:2] == ["stage.0.weight", "stage.0.bias"] and "stage.1.running_mean" in keys


@pytest.mark.parametrize("change", ["skip", "named", "stateless"])
def test_anything_else_is_a_class_with_a_forward(change):
    nodes, edges = [dict(n) for n in NODES], [dict(e) for e in CHAIN]
    if change == "skip":  # 2 reads 0 too: no longer a chain
        nodes[3] = {"id": "2", "type": "Add"}
        edges.append({"source": "0", "target": "2", "target_port": 1})
    elif change == "named":
        nodes[2]["id"] = "bn"
        edges = [{"source": "bn" if e["source"] == "1" else e["source"],
                  "target": "bn" if e["target"] == "1" else e["target"]} for e in edges]
    else:  # a node that is no module (Reshape is written as x.reshape(...)) cannot be a child
        nodes[3] = {"id": "2", "type": "Reshape", "params": {"shape": [6 * 64]}}
    doc = document_from_dict(_graph(nodes, edges))
    assert chain(doc.blocks["Stage"]) is None
    assert "class Stage(nn.Module):" in export_python(doc)
