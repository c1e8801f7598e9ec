"""Shape inference through block instances: arguments, feeders' shapes, repeat, errors with paths."""

from pathlib import Path

from netbuilder.core.fileformat import load_graph
from netbuilder.core.report import Severity, Status
from netbuilder.core.shapes import ShapeInference, infer_shapes

RESNET = Path(__file__).parent / "blocks_data" / "resnet_tiny.json"


def conv_params(c_in: int, c_out: int, k: int, bias: bool = False) -> int:
    return c_in * c_out * k * k + (c_out if bias else 0)


def block_params(c_in: int, c: int) -> int:
    return conv_params(c_in, c, 3) + 2 * c + conv_params(c, c, 3) + 2 * c + conv_params(c_in, c, 1)


def test_an_instance_infers_its_definition_with_its_arguments_and_feeder():
    report = infer_shapes(load_graph(RESNET))
    assert report.problems == []
    assert report.nodes["stage1"].outputs[0].text() == "(N, 8, 8, 8)"
    assert report.nodes["stage2"].outputs[0].text() == "(N, 16, 4, 4)"  # channels 16, stride 2
    assert report.nodes["stage1"].params == 2 * block_params(8, 8)  # repeat 2
    assert report.nodes["stage2"].params == block_params(8, 16)
    copies = report.nodes["stage1"].block.copies
    assert len(copies) == 2 and report.nodes["stage1"].block.repeated
    assert copies[0].infos["conv1"].kwargs["out_channels"] == 8


def test_a_definition_on_its_own_uses_its_defaults_and_example_input():
    doc = load_graph(RESNET)
    report = infer_shapes(doc.blocks["BasicBlock"])
    assert report.problems == []
    assert report.nodes["out"].outputs[0].text() == "(N, 64, 8, 8)"  # channels defaults to 64


def test_an_error_inside_names_the_path_on_the_instance():
    doc = load_graph(RESNET)
    doc.blocks["BasicBlock"].set_param("conv2", "kernel_size", 7)  # padding 1: the main path shrinks, the skip not
    report = infer_shapes(doc)
    (error,) = report.errors
    assert error.node_id == "stage1"
    assert error.message.startswith("BasicBlock 'stage1': stage1.0 › add: inputs (N, 8, 4, 4) and (N, 8, 8, 8) "
                                    "differ in dimension 2")
    assert error.inner == ("add",)  # opening the block can point at the node
    assert report.status_of("stage1") == Status.ERROR
    assert report.nodes["stage2"].status == Status.UNKNOWN


def test_an_error_in_a_later_copy_names_the_copy():
    doc = load_graph(RESNET)
    definition = doc.blocks["BasicBlock"]
    definition.set_param("conv2", "padding", 0)  # each copy shrinks the maps by 2: 8, 6, 4, 2, then too small
    definition.set_param("shortcut", "kernel_size", 3)
    doc.set_param("stage1", "repeat", 4)
    report = infer_shapes(doc)
    (error, *_) = [p for p in report.errors if p.node_id == "stage1"]
    assert error.message.startswith("BasicBlock 'stage1': stage1.3 › conv2: ")


def test_incremental_inference_follows_edits_inside_a_definition():
    doc = load_graph(RESNET)
    inference = ShapeInference(doc)
    before = inference.refresh().nodes["stage2"].params
    doc.blocks["BasicBlock"].set_param("shortcut", "bias", True)
    after = inference.refresh()
    assert after.nodes["stage2"].params == before + 16
    assert after.nodes["stem"].params == 80
    doc.blocks["BasicBlock"].move_node("conv1", (5, 5))  # a move inside changes nothing
    assert inference.refresh() is inference.refresh()
    inference.close()


def test_a_bad_argument_value_is_an_error_on_the_inner_node():
    doc = load_graph(RESNET)
    definition = doc.blocks["BasicBlock"]
    definition.parameters["channels"] = type(definition.parameters["channels"])(
        "channels", "int", 64, "", None, None)  # no minimum any more
    doc.nodes["stage2"].params["channels"] = 0
    report = infer_shapes(doc)
    (error, *_) = [p for p in report.errors if p.node_id == "stage2"]
    assert "stage2 › conv1: out_channels: expected an integer ≥ 1, got 0 (set by $channels)" in error.message
    assert error.severity == Severity.ERROR


def test_a_definition_on_screen_follows_new_parameter_defaults():
    from netbuilder.core.blockparams import declared_spec

    doc = load_graph(RESNET)
    definition = doc.blocks["BasicBlock"]
    inference = ShapeInference(definition)
    assert inference.refresh().nodes["out"].outputs[0].shape[0] == 64
    parameters = {**definition.parameters,
                  "channels": declared_spec("channels", {"kind": "int", "default": 24}, "channels")}
    doc.set_block_parameters("BasicBlock", parameters)
    assert inference.refresh().nodes["out"].outputs[0].shape[0] == 24
    inference.close()


def test_a_new_definition_resolves_other_blocks_while_it_is_filled():
    from netbuilder.core.document import Edge

    doc = load_graph(RESNET)
    pair = doc.new_definition("Pair", doc="Two basic blocks.")
    pair.add_node("Input", {"shape": [8, 8, 8]}, node_id="x")
    pair.add_node("BasicBlock", {"channels": 8}, node_id="first")
    pair.add_node("BasicBlock", {"channels": 8}, node_id="second")
    pair.add_node("Output", node_id="out")
    for edge in (Edge("x", "first"), Edge("first", "second"), Edge("second", "out")):
        pair.connect(edge)
    doc.add_block("Pair", pair)
    doc.nodes["stage1"].type = "Pair"
    doc.nodes["stage1"].params = {"repeat": 1}
    report = infer_shapes(doc)
    assert report.problems == [] and report.nodes["stage1"].params == 2 * 1248
