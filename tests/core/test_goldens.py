"""Golden files: the exported code of a tiny graph per layer type, compared byte for byte.

``tests/golden/<LayerType>.py`` holds what ``export_python`` writes for the first
case of that layer type in ``test_torch_agreement.CASES`` (inputs → the layer →
an Output per port). A change to the generated code shows up here as a diff to
review, not as a silent drift.

When a change to the code is intended, regenerate the files and review the diff:

    NETBUILDER_UPDATE_GOLDENS=1 PYTHONPATH=. python -m pytest -q tests/core/test_goldens.py
    git diff tests/golden
"""

import os
from pathlib import Path

import pytest
from test_torch_agreement import CASES, one_layer_graph

from netbuilder.core.export import export_python
from netbuilder.core.layers import all_specs

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("NETBUILDER_UPDATE_GOLDENS") == "1"
FIRST_CASE = {}
for _case in CASES:
    FIRST_CASE.setdefault(_case[0], _case)


@pytest.mark.parametrize("layer_type", [spec.type for spec in all_specs()])
def test_exported_code_matches_its_golden_file(layer_type):
    code = export_python(one_layer_graph(*FIRST_CASE[layer_type]))
    path = GOLDEN / f"{layer_type}.py"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(code.encode("utf-8"))
    assert path.exists(), f"no golden file for {layer_type}: regenerate with NETBUILDER_UPDATE_GOLDENS=1"
    assert path.read_bytes() == code.encode("utf-8"), f"{path.name} differs: see this module's docstring"


def test_every_golden_file_belongs_to_a_registered_layer():
    layer_types = {spec.type for spec in all_specs()}
    assert sorted(p.stem for p in GOLDEN.glob("*.py") if p.stem not in layer_types) == []
