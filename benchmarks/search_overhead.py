"""Overhead of the search machinery per trial (goal: < 5% of a trial).

Runs a study on ``examples/digits_search.json`` as ``netbuilder search`` does
(Optuna's TPE sampler and median pruner, an SQLite study in a temporary folder,
each trial on the engine) and measures, per trial, the time spent outside the
engine's generator — asking and telling Optuna, writing the sampled values into
a copy of the graph, its shape check, the per-epoch reports — against the whole
trial. The engine's own cost against a hand-written loop is
``benchmarks/engine_overhead.py``'s.

    python benchmarks/search_overhead.py [--trials 6]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from netbuilder.core.fileformat import load_graph
from netbuilder.train.search import Search, SearchOptions

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6)
    args = parser.parse_args()
    doc = load_graph(ROOT / "examples" / "digits_search.json")
    with tempfile.TemporaryDirectory() as folder:
        options = SearchOptions(trials=args.trials, sampler="tpe", pruner="median", seed=0,
                                storage=f"sqlite:///{Path(folder) / 'study.db'}")
        runner = Search(doc, options, base_dir=ROOT / "examples", runs_dir=Path(folder) / "runs")
        for _ in runner.run():
            pass
    shares = [(total - inside) / total for total, inside in runner.timings]
    for i, ((total, inside), share) in enumerate(zip(runner.timings, shares)):
        print(f"trial {i}: {total:.2f} s, of which {total - inside:.3f} s outside the engine ({share:.2%})")
    median = statistics.median(shares)
    print(f"search overhead per trial (median of {len(shares)}): {median:.2%}; goal < {GOAL:.0%}: "
          f"{'met' if median < GOAL else 'NOT met'}")
    return 0 if median < GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
