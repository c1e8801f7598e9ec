"""What the layer library costs at start-up, now that most of torch.nn is derived from torch itself.

Each figure is the median over fresh Python processes:

- ``import netbuilder.core.layers`` as the app does it, before torch is loaded:
  every hand-written spec plus the derived ones, read from ``torch_nn.json``;
  it must not import torch (seconds), since the window shows first;
- reading torch.nn live (``torch_nn.catalogue()``, torch already loaded): what
  the import costs instead with a torch the saved file was not written for.

Goals: the import <= 50 ms without importing torch; the live reading <= 50 ms.

    .venv/bin/python benchmarks/layer_registry.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT = """
import sys, time
start = time.perf_counter()
from netbuilder.core import layers
print(time.perf_counter() - start, 'torch' in sys.modules, len(layers.all_specs()), len(layers.DERIVED_TYPES))
"""
LIVE = """
import time, torch
from netbuilder.core.layers.torch_nn import catalogue
start = time.perf_counter()
catalogue()
print(time.perf_counter() - start)
"""


def _runs(code: str, repeats: int) -> list[list[str]]:
    return [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                           env={"PYTHONPATH": str(ROOT), "PATH": ""}).stdout.split() for _ in range(repeats)]


def _verdict(ms: float, goal: float) -> str:
    return f"(goal <= {goal:g} ms: {'met' if ms <= goal else 'NOT met'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    imports = _runs(IMPORT, args.repeats)
    imported = statistics.median(float(r[0]) for r in imports) * 1000
    live = statistics.median(float(r[0]) for r in _runs(LIVE, args.repeats)) * 1000
    print(f"layer types: {imports[0][2]}, of which derived from torch.nn: {imports[0][3]}")
    print(f"import netbuilder.core.layers, torch not loaded  {imported:6.1f} ms  {_verdict(imported, 50)}; "
          f"imports torch: {imports[0][1]}")
    print(f"reading torch.nn live (another torch installed)  {live:6.1f} ms  {_verdict(live, 50)}")


if __name__ == "__main__":
    main()
