"""Command line: ``netbuilder [FILE] | check | summary | export | train | data | import``.

This module only parses arguments; each command lives beside what it drives
(graph commands in :mod:`netbuilder.cli_graph`, training in
:mod:`netbuilder.train.cli`, PyTorch import and ONNX in :mod:`netbuilder.interop.cli`,
the GUI in :mod:`netbuilder.ui.app`) and is
imported lazily, so ``netbuilder check`` never loads Qt.
"""

from __future__ import annotations

import argparse
import sys

COMMANDS = ("check", "summary", "export", "train", "search", "data", "import", "gui")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netbuilder",
        description="Draw neural networks, see shapes live, train them, export plain PyTorch. "
        "With no command, opens the editor (on FILE if given).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the editor (the default)")
    gui.add_argument("file", nargs="?", help="graph file to open")

    check = sub.add_parser("check", help="validate a graph; exit 1 if it has errors")
    check.add_argument("file")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")

    summary = sub.add_parser("summary", help="print the layer table: shapes, parameters, MACs")
    summary.add_argument("file")

    export = sub.add_parser("export", help="write standalone PyTorch code (or ONNX)")
    export.add_argument("file")
    export.add_argument("-o", "--output", help="where to write (default: print the code)")
    export.add_argument("--class-name", help="name of the generated nn.Module class")
    export.add_argument("--train", action="store_true", help="write a full training script (runs under torchrun)")
    export.add_argument("--weights", metavar="RUN", help="also write the trained weights of a run folder (its best "
                        "epoch) or checkpoint beside -o, as MODEL.pt, which `python MODEL.py` loads")
    export.add_argument("--onnx", metavar="PATH", help="write ONNX (dynamic batch dimension) to PATH")
    _training_flags(export, "with --train: ")

    imp = sub.add_parser("import", help="turn a PyTorch model class into a graph file (runs that file's code)")
    imp.add_argument("source", metavar="FILE.py:ClassName")
    imp.add_argument("--input-shape", required=True, action="append",
                     help="shape of one sample without batch, e.g. 1,28,28; repeat it for each input of forward, "
                          "a dtype after a colon where it differs from --input-dtype: --input-shape 7:int64; "
                          "more shapes than forward takes arguments make its last argument a tuple (h, c)")
    imp.add_argument("--input-dtype", default="float32", choices=["float32", "int64"])
    imp.add_argument("--keep-unsupported", action="store_true", help="keep unmapped ops as opaque nodes")
    imp.add_argument("--flat", action="store_true",
                     help="one node per layer; by default each submodule class and nn.Sequential becomes a block")
    imp.add_argument("-o", "--output", required=True, help="graph file to write")

    train = sub.add_parser("train", help="train a graph with a progress bar")
    train.add_argument("file")
    _training_flags(train)
    train.add_argument("--resume", metavar="RUN", help="run folder or checkpoint file to continue from")
    train.add_argument("--weights-from", metavar="RUN", help="start a new run from the weights of this run folder or "
                       "checkpoint, node by node (fine-tuning; freeze nodes with training.freeze)")
    train.add_argument("--node-stats", action="store_true", help="each node's activation and gradient statistics "
                       "every epoch (node_stats.jsonl in the run) and warnings of vanishing or exploding gradients")
    train.add_argument("--runs-dir", default="runs", help="where run folders go (default: ./runs)")

    search = sub.add_parser("search", help="search the settings the graph marks as varying (needs Optuna)")
    search.add_argument("file")
    search.add_argument("--trials", type=int, help="trials this command tries (default: what the study's budget, "
                        "search.study.trials, has left)")
    search.add_argument("--sampler", choices=["tpe", "random", "grid"], help="how values are chosen (default: the "
                        "file's, else tpe)")
    search.add_argument("--pruner", choices=["median", "hyperband", "none"], help="how hopeless trials are ended "
                        "early (default: the file's, else median)")
    search.add_argument("--timeout", help="start no trial after this long (90s, 10m, 1h30m)")
    search.add_argument("--storage", metavar="URL", help="Optuna database URL shared by every process on the "
                        "study (default: sqlite:///GRAPH.study.db beside the graph)")
    search.add_argument("--study", help="study name (default: the graph's name)")
    search.add_argument("--workers", type=int, default=1, help="processes working on the study at once")
    search.add_argument("--seed", type=int, help="the sampler's seed")
    search.add_argument("--apply", metavar="OUT.json", help="write the best trial's values into a copy of the graph")
    search.add_argument("--runs-dir", default="runs", help="where trial run folders go (default: ./runs)")

    sub.add_parser("data", help="list the built-in data sets and their shapes")
    return parser


def _training_flags(parser: argparse.ArgumentParser, when: str = "") -> None:
    """The overrides of the file's training settings; ``train`` and ``export --train`` take the same."""
    parser.add_argument("--data", help=when + "built-in data set name or path to CSV / .npz / image folder")
    parser.add_argument("--epochs", type=int, help=when + "passes over the training data")
    parser.add_argument("--lr", type=float, help=when + "learning rate")
    parser.add_argument("--batch-size", type=int, help=when + "samples per step")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help=when + "where to train")
    parser.add_argument("--seed", type=int, help=when + "random seed")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv = ["gui", *argv]  # `netbuilder graph.json` opens the editor
    args = build_parser().parse_args(argv)
    command = args.command or "gui"
    if command == "gui":
        from .ui.platform_check import problem

        missing = problem()
        if missing:  # Qt would abort with half the story; say all of it and stop
            print(missing, file=sys.stderr)
            return 2
        from .ui.app import run

        return run(getattr(args, "file", None))
    if command == "import" or (command == "export" and args.onnx):
        from .interop import cli as interop_cli

        return interop_cli.import_model(args) if command == "import" else interop_cli.export_onnx(args)
    if command in ("check", "summary", "export"):
        from . import cli_graph

        return getattr(cli_graph, command)(args)
    if command == "search":
        from .train import search_cli

        return search_cli.search(args)
    from .train import cli as train_cli

    return getattr(train_cli, command)(args)


if __name__ == "__main__":
    sys.exit(main())
