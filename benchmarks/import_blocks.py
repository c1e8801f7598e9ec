"""How long does importing a ResNet-18 take as blocks, against the flat import?

Imports the torchvision-style ResNet-18 of ``tests/interop/models/resnet18.py``
(BasicBlock class, ``_make_layer``) the way ``netbuilder import`` does: once
flat (one node per layer) and once as blocks (each submodule traced on its
own, definitions shared, weights under the module's own keys), alternating
which goes first, and prints the median of each and their ratio. Both include
running the model on the example batch and proving that the graph's model
gives the same outputs. Target: blocks ≤ 1.5 × flat, and ≤ 5 s.

Run: ``python benchmarks/import_blocks.py [--rounds N] [--size 224]``.
Timings are the CPU time of one thread, which keeps them steady on a busy machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from netbuilder.interop.model_import import import_module
from netbuilder.interop.userfile import example_input, instantiate, run_file

MODEL = Path(__file__).resolve().parent.parent / "tests" / "interop" / "models" / "resnet18.py"
TARGET_RATIO = 1.5
TARGET_SECONDS = 5.0


def timed(model, example, blocks: bool) -> tuple[float, int]:
    start = time.process_time()
    result = import_module(model, example, blocks=blocks)
    return time.process_time() - start, len(result.document.nodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=224, help="height and width of the example images")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = instantiate(run_file(MODEL), "ResNet18")
    example = example_input(model, [3, args.size, args.size], "float32")
    import_module(model, example, blocks=True)  # warm: imports, caches of source lines
    times = {True: [], False: []}
    nodes = {}
    for round_ in range(args.rounds):
        for blocks in ((True, False) if round_ % 2 else (False, True)):
            seconds, nodes[blocks] = timed(model, example, blocks)
            times[blocks].append(seconds)
    flat, blocks = statistics.median(times[False]), statistics.median(times[True])
    ratio = blocks / flat
    print(f"ResNet-18, example batch 2×3×{args.size}×{args.size}, {args.rounds} rounds, one thread:")
    print(f"  flat import:   {flat:6.2f} s  ({nodes[False]} nodes)")
    print(f"  blocks import: {blocks:6.2f} s  ({nodes[True]} nodes at the top)")
    met = ratio <= TARGET_RATIO and blocks <= TARGET_SECONDS
    print(f"blocks / flat = {ratio:.2f} (target ≤ {TARGET_RATIO}; blocks ≤ {TARGET_SECONDS:.0f} s): "
          f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
