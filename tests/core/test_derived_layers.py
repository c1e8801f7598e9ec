"""The node types derived from torch.nn: all of torch.nn is covered, and each derived
type infers, builds and exports to the same model as real torch runs.

``test_torch_agreement`` holds their shapes and parameter counts to real torch and
``test_goldens`` their code; here: coverage, parity of the exported code with
``build_model`` (with one seed per forward, for the random layers), and torch's own
argument errors surfacing on the node.
"""

import json

import pytest
import torch
from core_helpers import as_tuple, load_exported, random_inputs
from derived_cases import DERIVED_CASES
from test_torch_agreement import case_id, one_layer_graph

from netbuilder.core.compiler import build_model
from netbuilder.core.export import export_python
from netbuilder.core.layers import DERIVED_TYPES, all_specs, get_spec, has_spec
from netbuilder.core.layers.derived import CATALOGUE
from netbuilder.core.layers.torch_nn import EXCLUDED, catalogue, exclusion, layer_classes
from netbuilder.core.shapes import infer_shapes


def test_every_layer_class_of_torch_nn_is_a_node_type_or_excluded_with_a_reason():
    built = {spec.torch_class for spec in all_specs()}
    missing = [cls.__name__ for cls in layer_classes() if cls.__name__ not in built and exclusion(cls) is None]
    assert missing == []
    assert all(has_spec(name) is False for name in EXCLUDED)
    assert len(DERIVED_TYPES) >= 60


def test_the_saved_descriptions_are_what_the_installed_torch_says():
    saved = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(catalogue())), "regenerate: python -m netbuilder.core.layers.torch_nn"


def test_every_derived_type_has_cases_and_hand_written_ones_are_kept():
    assert {case[0] for case in DERIVED_CASES} == DERIVED_TYPES
    classes = [spec.torch_class for spec in all_specs() if spec.torch_class]
    assert len(classes) == len(set(classes))  # one node type per class
    assert get_spec("Conv2d").rule is not None  # the hand-written spec, not a derived twin


@pytest.mark.parametrize("case", DERIVED_CASES, ids=[case_id(c) for c in DERIVED_CASES])
def test_exported_code_is_the_model_build_model_makes(case, tmp_path):
    doc = one_layer_graph(*case)
    report = infer_shapes(doc)
    assert report.ok, report.errors
    compiled = build_model(doc).eval()
    exported = load_exported(export_python(doc, "Exported"), tmp_path, "Exported")().eval()
    exported.load_state_dict(compiled.state_dict())
    inputs = random_inputs(doc, compiled.netbuilder_inputs)
    with torch.no_grad():
        torch.manual_seed(0)
        want = as_tuple(compiled(*inputs))
        torch.manual_seed(0)
        got = as_tuple(exported(*inputs))
    for a, b in zip(want, got, strict=True):
        assert torch.equal(a, b)


# Arguments torch refuses are refused on the node, in torch's words.
REFUSED = [
    ("PixelShuffle", {"upscale_factor": 3}, [[8, 3, 3]]),
    ("ChannelShuffle", {"groups": 4}, [[6, 2, 2]]),
    ("ReflectionPad2d", {"padding": 9}, [[3, 4, 4]]),
    ("Conv3d", {"out_channels": 4, "kernel_size": 9}, [[2, 6, 6, 6]]),
    ("TransformerDecoderLayer", {"nhead": 3}, [[5, 8], [4, 8]]),
    ("GLU", {}, [[5]]),
    ("Unfold", {"kernel_size": 9}, [[3, 4, 4]]),
    ("RMSNorm", {"normalized_dims": 3}, [[8]]),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case_id(c) for c in REFUSED])
def test_what_torch_refuses_is_an_error_on_the_node(case):
    report = infer_shapes(one_layer_graph(*case))
    assert [p.node_id for p in report.errors] == ["layer"], report.problems
