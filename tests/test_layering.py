"""The layering in ``pyproject.toml``'s ``[tool.importlinter]`` holds: a wrong import fails the suite.

core, train and interop never import Qt or the ui; core never imports train,
interop or ui; train never imports ui; and no module of core, train or
interop imports itself back through a sibling (no import cycles).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    pytest.importorskip("importlinter", reason="pip install 'netbuilder[test]' brings import-linter")
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
