"""The core, the trainer and the importer never need Qt: import them with every Qt binding made unimportable."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r'''
import importlib, pkgutil, sys

BLOCKED = ("PySide6", "PySide2", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6", "qtpy")

class NoQt:
    """A meta path finder that refuses every Qt binding, like a machine without Qt."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: the core must not need Qt")
        return None

sys.meta_path.insert(0, NoQt())
import netbuilder
imported = ["netbuilder"]
for package in ("netbuilder.core", "netbuilder.train", "netbuilder.interop"):
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
for module in ("netbuilder.cli", "netbuilder.cli_graph"):
    importlib.import_module(module)
    imported.append(module)
assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
from netbuilder.cli import main
code = main(["check", "examples/digits_cnn.json"])
print("IMPORTED", " ".join(imported))
sys.exit(code)
'''


def test_core_train_and_interop_import_and_check_without_qt():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    imported = result.stdout.split("IMPORTED ")[1].split()
    assert {"netbuilder.core.shapes", "netbuilder.core.compiler", "netbuilder.core.layers.sequence",
            "netbuilder.train.datasets", "netbuilder.interop.mapper", "netbuilder.interop.recurrent"} <= set(imported)
    assert "examples/digits_cnn.json: ok" in result.stdout
