"""Block definitions in the document and the file: resolution, references, errors, migration."""

import copy
import json
from pathlib import Path

import pytest
from core_helpers import EXAMPLES

from netbuilder.core.document import VERSION, Edge, GraphDocument
from netbuilder.core.errors import EditError, GraphError, ParamError
from netbuilder.core.fileformat import MIGRATIONS, document_from_dict, dumps, load_graph, loads
from netbuilder.core.library import BlockSpec
from netbuilder.core.records import ChangeKind

DATA = Path(__file__).parent / "blocks_data"
RESNET = DATA / "resnet_tiny.json"


def resnet_data() -> dict:
    return json.loads(RESNET.read_text(encoding="utf-8"))


def problems_of(data: dict) -> list[str]:
    with pytest.raises(GraphError) as err:
        document_from_dict(data)
    return err.value.problems


def test_a_block_file_loads_and_saves_byte_for_byte():
    text = RESNET.read_text(encoding="utf-8")
    doc = loads(text)
    assert list(doc.blocks) == ["BasicBlock"]
    definition = doc.blocks["BasicBlock"]
    assert definition.library is doc and doc.library is doc and definition.is_definition
    assert list(definition.parameters) == ["channels", "stride"]
    assert definition.nodes["conv1"].params["out_channels"] == "$channels"
    assert dumps(doc) == text
    assert doc.copy() == doc and dumps(doc.copy()) == text


def test_spec_for_synthesises_the_instance_type_from_the_definition():
    doc = load_graph(RESNET)
    spec = doc.spec_for("BasicBlock")
    assert isinstance(spec, BlockSpec) and spec.input_names == ("x",) and spec.outputs == ("out",)
    assert [p.name for p in spec.params] == ["channels", "stride", "repeat"]
    assert doc.blocks["BasicBlock"].spec_for("BasicBlock") is spec  # one resolution path, inside too
    assert doc.spec_for("Conv2d").type == "Conv2d"
    with pytest.raises(EditError, match="unknown layer type 'Nope'"):
        doc.spec_for("Nope")
    assert doc.default_id("BasicBlock") == "basic_block_1"


def test_every_version_1_example_migrates_unchanged():
    assert sorted(MIGRATIONS) == list(range(1, VERSION))
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        if data["version"] != 1:
            continue
        doc = load_graph(path)
        assert dumps(doc) == text.replace('"version": 1,', f'"version": {VERSION},', 1), path.name
        assert "blocks" not in doc.to_dict()


def test_an_unknown_block_is_named_with_the_blocks_there_are():
    data = resnet_data()
    data["nodes"][2]["type"] = "BasicBlok"
    assert problems_of(data) == ["nodes[2].type: unknown layer type or block 'BasicBlok' (blocks: BasicBlock)"]


def test_a_bad_reference_names_block_node_and_field():
    data = resnet_data()
    data["blocks"]["BasicBlock"]["nodes"][1]["params"]["out_channels"] = "$chanels"
    assert problems_of(data) == [
        "blocks.BasicBlock.nodes[1].params.out_channels: node 'conv1' refers to $chanels, which block BasicBlock "
        "does not declare (declared: channels, stride)"]


def test_a_reference_whose_kind_cannot_fit_is_refused():
    data = resnet_data()
    data["blocks"]["BasicBlock"]["parameters"]["channels"] = {"kind": "str", "default": "wide"}
    problems = problems_of(data)
    assert problems[0].startswith("blocks.BasicBlock.nodes[1].params.out_channels: $channels cannot set it")
    assert len(problems) == 5  # conv1, conv2 and the shortcut use it; the instances set it to numbers
    assert "nodes[2].params.channels: expected a string, got 8" in problems


def test_references_at_the_top_level_are_refused():
    data = resnet_data()
    data["nodes"][1]["params"]["out_channels"] = "$channels"
    (problem,) = problems_of(data)
    assert "nodes[1].params.out_channels" in problem and "only blocks declare parameters" in problem


def test_a_recursive_block_is_refused_with_its_cycle():
    data = resnet_data()
    inner = copy.deepcopy(data["blocks"]["BasicBlock"])
    data["blocks"]["BasicBlock"]["nodes"][3]["type"] = "Inner"
    inner["nodes"][3]["type"] = "BasicBlock"
    data["blocks"]["Inner"] = inner
    problems = problems_of(data)
    assert problems == ["blocks.BasicBlock: block BasicBlock contains itself: BasicBlock → Inner → BasicBlock"]


def test_a_port_mismatch_names_instance_and_port():
    data = resnet_data()
    data["edges"].append({"source": "stem", "target": "stage2", "target_port": 1})
    assert problems_of(data) == ["edges[6]: BasicBlock 'stage2' has no input port 1"]


def test_bad_block_names_and_declarations_are_refused():
    data = resnet_data()
    data["blocks"]["conv"] = data["blocks"]["BasicBlock"]
    data["blocks"]["Linear"] = data["blocks"]["BasicBlock"]
    problems = problems_of(data)
    assert any(p.startswith("blocks.conv: 'conv' cannot name a block") for p in problems)
    assert any(p.startswith("blocks.Linear: 'Linear' cannot name a block: it is a layer type") for p in problems)
    data = resnet_data()
    data["blocks"]["BasicBlock"]["parameters"]["repeat"] = {"kind": "int", "default": 1}
    data["blocks"]["BasicBlock"]["parameters"]["stride"] = {"kind": "int", "default": 0, "minimum": 1}
    problems = problems_of(data)
    assert any(p.startswith("blocks.BasicBlock.parameters.repeat: 'repeat' cannot name a parameter") for p in problems)
    assert any(p.startswith("blocks.BasicBlock.parameters.stride.default: expected an integer ≥ 1") for p in problems)


def test_a_block_without_ports_is_refused():
    data = resnet_data()
    data["blocks"]["BasicBlock"]["nodes"] = data["blocks"]["BasicBlock"]["nodes"][1:]
    data["blocks"]["BasicBlock"]["edges"] = [e for e in data["blocks"]["BasicBlock"]["edges"] if e["source"] != "x"]
    problems = problems_of(data)
    assert "blocks.BasicBlock: block BasicBlock has no Input node: add one for each input port" in problems


def test_repeat_is_only_for_one_input_one_output_blocks():
    doc = load_graph(RESNET)
    with pytest.raises(ParamError, match="expected an integer in \\[1, 1000\\], got 0"):
        doc.set_param("stage1", "repeat", 0)
    definition = doc.blocks["BasicBlock"]
    definition.add_node("Output", node_id="extra")
    definition.connect(Edge("relu1", "extra"))
    assert doc.spec_for("BasicBlock").param("repeat") is None


def test_editing_a_definition_is_announced_on_the_top_document_and_every_definition():
    doc = load_graph(RESNET)
    seen = []
    doc.subscribe(seen.append)
    doc.blocks["BasicBlock"].set_param("conv1", "kernel_size", 5)
    (change,) = seen
    assert change.kind == ChangeKind.BLOCKS_CHANGED and change.ids == ("BasicBlock",)
    assert change.inner.kind == ChangeKind.PARAMS_CHANGED and change.inner.ids == ("conv1",)
    with pytest.raises(ParamError, match="refers to \\$width"):
        doc.blocks["BasicBlock"].set_param("conv1", "out_channels", "$width")
    doc.blocks["BasicBlock"].set_param("conv1", "out_channels", "$stride")
    assert doc.blocks["BasicBlock"].nodes["conv1"].params["out_channels"] == "$stride"


def test_add_remove_set_and_rename_block_return_what_undo_needs():
    doc = load_graph(RESNET)
    saved = dumps(doc)
    seen = []
    doc.subscribe(seen.append)
    twin = doc.blocks["BasicBlock"].copy()
    doc.add_block("Other", twin)
    assert list(doc.blocks) == ["BasicBlock", "Other"] and twin.library is doc
    with pytest.raises(EditError, match="already exists"):
        doc.add_block("Other", twin.copy())
    definition, index = doc.remove_block("Other")
    assert (definition, index) == (twin, 1) and dumps(doc) == saved
    with pytest.raises(EditError, match="used by 2 instance\\(s\\): stage1, stage2"):
        doc.remove_block("BasicBlock")
    replacement = doc.blocks["BasicBlock"].copy()
    replacement.set_param("conv2", "kernel_size", 5)
    old = doc.set_block("BasicBlock", replacement)
    assert doc.blocks["BasicBlock"] is replacement and old.nodes["conv2"].params["kernel_size"] == 3
    doc.set_block("BasicBlock", old)
    assert dumps(doc) == saved
    doc.rename_block("BasicBlock", "ResBlock")
    assert doc.nodes["stage1"].type == "ResBlock" and list(doc.blocks) == ["ResBlock"]
    doc.rename_block("ResBlock", "BasicBlock")
    assert dumps(doc) == saved
    assert all(c.kind == ChangeKind.BLOCKS_CHANGED for c in seen)


def test_a_block_may_not_contain_itself_through_an_edit():
    doc = load_graph(RESNET)
    looped = doc.blocks["BasicBlock"].copy()
    looped.nodes["relu1"].type = "BasicBlock"
    with pytest.raises(EditError, match="block BasicBlock would contain itself: BasicBlock → BasicBlock"):
        doc.set_block("BasicBlock", looped)


def test_set_block_refuses_a_definition_the_instances_do_not_fit():
    doc = load_graph(RESNET)
    narrower = doc.blocks["BasicBlock"].copy()
    narrower.parameters = {}
    for node in narrower.nodes.values():
        node.params = {k: (1 if isinstance(v, str) and v.startswith("$") else v) for k, v in node.params.items()}
    with pytest.raises(EditError, match="stage1: sets channels, stride, which block BasicBlock would not declare"):
        doc.set_block("BasicBlock", narrower)


def test_instances_of_lists_addresses_inside_definitions_too():
    doc = load_graph(RESNET)
    outer = GraphDocument("Outer")
    outer.add_node("Input", {"shape": [8, 8, 8]}, node_id="x")
    outer.nodes["inner"] = type(doc.nodes["stage1"])("inner", "BasicBlock", {"channels": 8}, (0, 0))
    outer.add_node("Output", node_id="out")
    outer.edges = [Edge("x", "inner"), Edge("inner", "out")]
    doc.add_block("Outer", outer)
    assert doc.instances_of("BasicBlock") == ["stage1", "stage2", "Outer/inner"]
