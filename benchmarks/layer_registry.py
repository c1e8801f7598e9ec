"""What the layer library costs at start-up, now that most of torch.nn is derived from torch itself.

Each measurement is a fresh Python process that has imported torch already and
then imports ``netbuilder.core.layers`` (every hand-written spec plus the ones
derived from torch.nn's signatures and docstrings); it also times deriving
the derived specs again in-process (what the import spends on torch.nn). Medians over
repeats.

Goal: the derivation adds <= 50 ms to start-up (the app then derives eagerly;
above it, it should derive lazily or cache).

    .venv/bin/python benchmarks/layer_registry.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import time, torch
start = time.perf_counter()
from netbuilder.core import layers
imported = time.perf_counter() - start
from netbuilder.core.layers.derived import derived_specs
start = time.perf_counter()
specs = derived_specs({s.torch_class for s in layers.all_specs() if s.type not in layers.DERIVED_TYPES})
print(imported, time.perf_counter() - start, len(layers.all_specs()), len(layers.DERIVED_TYPES))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeats):
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, check=True,
                             env={"PYTHONPATH": str(ROOT), "PATH": ""})
        runs.append(out.stdout.split())
    imported = statistics.median(float(r[0]) for r in runs) * 1000
    derived = statistics.median(float(r[1]) for r in runs) * 1000
    total, from_torch = runs[0][2], runs[0][3]
    print(f"layer types: {total}, of which derived from torch.nn: {from_torch}")
    print(f"import netbuilder.core.layers (torch loaded)   {imported:6.1f} ms")
    print(f"deriving the torch.nn layer specs again             {derived:6.1f} ms  "
          f"(goal <= 50 ms: {'met' if derived <= 50 else 'NOT met'})")


if __name__ == "__main__":
    main()
