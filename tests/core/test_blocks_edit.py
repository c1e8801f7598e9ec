"""Group, ungroup and make unique: plans computed without Qt, applied and undone exactly."""

from pathlib import Path

import pytest
from core_helpers import ROOT

from netbuilder.core import blocks
from netbuilder.core.document import Edge
from netbuilder.core.errors import EditError
from netbuilder.core.fileformat import dumps, load_graph, loads
from netbuilder.core.shapes import infer_shapes

RESNET = Path(__file__).parent / "blocks_data" / "resnet_tiny.json"
RESIDUAL = ROOT / "examples" / "residual_cnn.json"
RESIDUAL_PART = ["conv2", "relu2", "conv3", "add", "relu3"]


def test_group_makes_one_instance_with_ports_from_the_wires():
    doc = load_graph(RESIDUAL)
    before = infer_shapes(doc)
    plan = blocks.group(doc, RESIDUAL_PART, "ResBlock")
    assert plan.instance == "res_block"
    undo = blocks.apply(doc, plan)
    definition = doc.blocks["ResBlock"]
    assert list(doc.nodes) == ["image", "conv1", "relu1", "res_block", "pool", "flatten", "fc"]
    # relu1 enters twice (conv2 and the skip into add) but is one value: one input port
    assert doc.spec_for("ResBlock").input_names == ("x",) and doc.spec_for("ResBlock").outputs == ("out",)
    assert definition.nodes["x"].params["shape"] == [16, 8, 8]
    assert [(e.source, e.target) for e in doc.in_edges("res_block")] == [("relu1", "res_block")]
    after = infer_shapes(doc)
    assert after.problems == []
    assert after.total_params == before.total_params
    assert after.output_types() == before.output_types()
    assert dumps(loads(dumps(doc))) == dumps(doc)
    redo = blocks.apply(doc, undo)
    assert dumps(doc) == dumps(load_graph(RESIDUAL))
    blocks.apply(doc, redo)
    assert "ResBlock" in doc.blocks


def test_group_with_several_values_in_and_out():
    doc = load_graph(ROOT / "examples" / "two_input_concat.json")
    inside = [n for n in doc.nodes if doc.nodes[n].type not in ("Input", "Output")][:-1]
    plan = blocks.group(doc, inside, "Trunk")
    blocks.apply(doc, plan)
    spec = doc.spec_for("Trunk")
    assert len(spec.input_names) == 2
    assert spec.param("repeat") is None  # two inputs: nothing to chain
    assert infer_shapes(doc).problems == []


def test_group_refuses_what_cannot_be_a_block():
    doc = load_graph(RESIDUAL)
    with pytest.raises(EditError, match="Input 'image' cannot go into a block"):
        blocks.group(doc, ["image", "conv1"], "Stem")
    with pytest.raises(EditError, match="cannot name a block"):
        blocks.group(doc, ["conv1"], "stem")
    with pytest.raises(EditError, match="no node with id 'nope'"):
        blocks.group(doc, ["nope"], "Stem")
    with pytest.raises(EditError, match="select the nodes"):
        blocks.group(doc, [], "Stem")


def test_ungroup_puts_the_nodes_back_with_the_instance_arguments():
    doc = load_graph(RESNET)
    doc.set_param("stage1", "repeat", 1)
    before = infer_shapes(doc)
    undo = blocks.apply(doc, blocks.ungroup(doc, "stage2"))
    assert "stage2" not in doc.nodes and doc.nodes["conv1"].params["out_channels"] == 16
    assert doc.nodes["conv1"].params["stride"] == 2
    after = infer_shapes(doc)
    assert after.problems == [] and after.total_params == before.total_params
    assert after.output_types() == before.output_types()
    saved = dumps(doc)
    redo = blocks.apply(doc, undo)
    assert "stage2" in doc.nodes and "conv1" not in doc.nodes
    blocks.apply(doc, redo)
    assert dumps(doc) == saved
    # the second one gets fresh ids: conv1 is taken now
    blocks.apply(doc, blocks.ungroup(doc, "stage1"))
    assert "conv1_2" in doc.nodes and infer_shapes(doc).total_params == before.total_params


def test_ungroup_expands_a_repeated_instance_into_chained_copies_and_refuses_a_layer():
    doc = load_graph(RESNET)
    saved, before = dumps(doc), infer_shapes(doc)
    plan = blocks.ungroup(doc, "stage1")  # BasicBlock × 2
    undo = blocks.apply(doc, plan)
    assert list(doc.nodes) == ["image", "stem", "stage1", "stage1_2", "stage2", "pool", "flatten", "fc"]
    assert [doc.nodes[n].params for n in ("stage1", "stage1_2")] == [{"channels": 8, "stride": 1, "repeat": 1}] * 2
    assert [(e.source, e.target) for e in doc.in_edges("stage1_2")] == [("stage1", "stage1_2")]
    assert [(e.source, e.target) for e in doc.in_edges("stage2")] == [("stage1_2", "stage2")]
    assert doc.nodes["stage1_2"].pos[0] > doc.nodes["stage1"].pos[0]
    after = infer_shapes(doc)
    assert after.problems == [] and after.total_params == before.total_params
    assert after.output_types() == before.output_types()
    blocks.apply(doc, undo)
    assert dumps(doc) == saved
    with pytest.raises(EditError, match="not a block instance"):
        blocks.ungroup(doc, "stem")


def test_make_unique_copies_the_definition_for_one_instance():
    doc = load_graph(RESNET)
    saved = dumps(doc)
    undo = blocks.apply(doc, blocks.make_unique(doc, "stage2", "DownBlock"))
    assert doc.nodes["stage2"].type == "DownBlock" and list(doc.blocks) == ["BasicBlock", "DownBlock"]
    assert blocks.instances_of(doc, "BasicBlock") == ["stage1"]
    doc.blocks["DownBlock"].set_param("conv2", "kernel_size", 1)
    doc.blocks["DownBlock"].set_param("conv2", "padding", 0)
    assert infer_shapes(doc).problems == []
    assert doc.blocks["BasicBlock"].nodes["conv2"].params["kernel_size"] == 3
    assert [e for e in doc.edges] == [e for e in load_graph(RESNET).edges]
    blocks.apply(doc, blocks.Plan(add_blocks=[], remove_blocks=[]))  # an empty plan changes nothing
    blocks.apply(doc, undo)
    assert dumps(doc) == saved


def test_declared_parameters_change_with_their_instances_and_back():
    from netbuilder.core.blockparams import declared_spec

    doc = load_graph(RESNET)
    saved = dumps(doc)
    definition = doc.blocks["BasicBlock"]
    wider = {**definition.parameters, "width": declared_spec("width", {"kind": "int", "default": 2}, "width")}
    old, instances = doc.set_block_parameters("BasicBlock", wider)
    assert doc.nodes["stage2"].params["width"] == 2 and instances["stage2"]["channels"] == 16
    with pytest.raises(EditError, match="node 'conv1' refers to \\$channels, which block BasicBlock does not"):
        doc.set_block_parameters("BasicBlock", {"width": wider["width"]})
    doc.set_block_parameters("BasicBlock", old, instances)
    assert dumps(doc) == saved


def test_a_fragment_carries_the_blocks_it_uses_into_another_document():
    doc = load_graph(RESNET)
    fragment = doc.fragment(["stage1", "stage2"])
    assert list(fragment["blocks"]) == ["BasicBlock"]
    other = load_graph(RESIDUAL)
    blocks.apply(other, blocks.plan_fragment_blocks(other, fragment))
    nodes, edges = other.plan_paste(fragment)
    for node in nodes:
        other.restore_node(node)
    for edge in edges:
        other.connect(edge)
    assert [n.type for n in nodes] == ["BasicBlock", "BasicBlock"] and len(edges) == 1
    assert blocks.plan_fragment_blocks(other, fragment).add_blocks == []  # already there, the same


def test_an_instance_whose_block_stops_being_a_chain_says_so():
    from netbuilder.core.document import Edge

    doc = load_graph(RESNET)
    definition = doc.blocks["BasicBlock"]
    definition.add_node("Output", node_id="early")
    definition.connect(Edge("relu1", "early"))
    report = infer_shapes(doc)
    (error,) = [p for p in report.errors if p.node_id == "stage1"]
    assert "repeats 2 times, but block BasicBlock no longer has one input and one output" in error.message
    assert '"repeat"' not in dumps(doc).split('"blocks"')[0].replace('"repeat": 2', "")  # repeat 1 left out


def _nested() -> tuple:
    """resnet_tiny with a block Outer whose definition holds a BasicBlock."""
    doc = load_graph(RESNET)
    outer = doc.new_definition("Outer")
    outer.add_node("Input", {"shape": [8, 8, 8]}, node_id="x")
    outer.add_node("BasicBlock", {"channels": 8}, node_id="inner")
    outer.add_node("Output", {}, node_id="out")
    outer.connect(Edge("x", "inner"))
    outer.connect(Edge("inner", "out"))
    doc.add_block("Outer", outer)
    return doc, outer


def test_a_block_refuses_an_instance_of_itself_naming_the_blocks():
    doc, outer = _nested()
    basic = doc.blocks["BasicBlock"]
    before = dumps(doc)
    with pytest.raises(EditError, match=r"block BasicBlock cannot contain an instance of itself "
                                        r"\(BasicBlock → BasicBlock\)"):
        basic.add_node("BasicBlock", {}, node_id="me")
    with pytest.raises(EditError, match=r"block BasicBlock cannot hold a Outer: Outer contains BasicBlock, so "
                                        r"BasicBlock would contain itself \(BasicBlock → Outer → BasicBlock\)"):
        basic.add_node("Outer", {}, node_id="outer")
    with pytest.raises(EditError, match="Outer cannot contain an instance of itself"):
        outer.restore_node(outer.nodes["inner"].__class__("again", "Outer", {}, (0.0, 0.0)))  # undo's path too
    assert dumps(doc) == before
    outer.add_node("BasicBlock", {"channels": 8}, node_id="inner_2")  # another block's instance is fine
    doc.add_node("Outer", {}, node_id="outer")  # and the graph itself holds any block


def test_a_block_containing_itself_directly_is_refused_at_load():
    data = loads(dumps(load_graph(RESNET))).to_dict()
    data["blocks"]["BasicBlock"]["nodes"][3]["type"] = "BasicBlock"
    from netbuilder.core.errors import GraphError
    from netbuilder.core.fileformat import document_from_dict

    with pytest.raises(GraphError, match="block BasicBlock contains itself: BasicBlock → BasicBlock"):
        document_from_dict(data, "test")


def test_a_frozen_node_of_a_block_follows_renames_of_the_node_and_the_block():
    doc = load_graph(RESNET)
    doc.training = {**(doc.training or {}), "freeze": ["BasicBlock/conv1", "stem"]}
    doc.blocks["BasicBlock"].rename_node("conv1", "first")
    assert doc.training["freeze"] == ["BasicBlock/first", "stem"]
    doc.rename_block("BasicBlock", "ResidualBlock")
    assert doc.training["freeze"] == ["ResidualBlock/first", "stem"]
    doc.rename_block("ResidualBlock", "BasicBlock")  # undo's path: back as it was
    doc.blocks["BasicBlock"].rename_node("first", "conv1")
    assert doc.training["freeze"] == ["BasicBlock/conv1", "stem"]
