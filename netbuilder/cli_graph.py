"""``netbuilder check | summary | export``: the graph commands.

They need only the core (no Qt, no training code), print plain text and never
a traceback: a file that cannot be read or is not a valid graph exits with 2
and the loader's message, which names every problem with its path; a graph
with errors exits with 1; success is 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core.atomic import write_atomic
from .core.document import GraphDocument
from .core.errors import GraphError, NetbuilderError
from .core.export import export_python
from .core.fileformat import load_graph
from .core.search_space import bypass_problems
from .core.shapes import ShapeReport, infer_shapes

OK, FAILED, UNUSABLE = 0, 1, 2


def _fail(message: str) -> int:
    print(f"netbuilder: {message}", file=sys.stderr)
    return UNUSABLE


def _load(path: str) -> GraphDocument | None:
    try:
        return load_graph(path)
    except GraphError as err:
        _fail(str(err))
        return None


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _print_problems(report: ShapeReport) -> None:
    for problem in report.problems:
        print(f"{problem.severity}: {problem.message}")


def check(args: argparse.Namespace) -> int:
    """Print every problem of the graph; exit 1 on errors (or warnings with --strict)."""
    doc = _load(args.file)
    if doc is None:
        return UNUSABLE
    report = infer_shapes(doc)
    _print_problems(report)
    stale = bypass_problems(doc, report) if doc.search else []  # a skip the study would refuse
    for problem in stale:
        print(f"warning: {problem}")
    errors, warnings = len(report.errors), len(report.warnings) + len(stale)
    if errors or warnings:
        print(f"{args.file}: {_count(errors, 'error')}, {_count(warnings, 'warning')}")
    else:
        print(f"{args.file}: ok ({_count(len(doc.nodes), 'node')}, {report.total_params:,} parameters)")
    return FAILED if errors or (getattr(args, "strict", False) and warnings) else OK


def _shapes_text(doc: GraphDocument, report: ShapeReport, node_id: str) -> str:
    info = report.nodes[node_id]
    if info.status == "error":
        return "error"
    if not info.outputs:
        return "?" if info.used else "(left out)"
    if len(info.outputs) == 1:
        return info.outputs[0].text()
    names = doc.spec_for(doc.nodes[node_id].type).output_names(doc.nodes[node_id].params)
    return ", ".join(f"{name} {t.text()}" for name, t in zip(names, info.outputs))


def _table(rows: list[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return lines


def summary(args: argparse.Namespace) -> int:
    """Print the layer table: node, type, output shape, parameters, MACs; then totals."""
    doc = _load(args.file)
    if doc is None:
        return UNUSABLE
    report = infer_shapes(doc)
    rows = [("node", "type", "output shape", "params", "MACs")]
    for node_id in [*report.order, *(n for n in doc.nodes if n not in set(report.order))]:
        info = report.nodes[node_id]
        rows.append((node_id, _type_text(doc, node_id), _shapes_text(doc, report, node_id), f"{info.params:,}",
                     f"{info.macs:,}"))
    rows.append(("total", "", "", f"{report.total_params:,}", f"{report.total_macs:,}"))
    lines = _table(rows, right={3, 4})
    rule = "-" * max(len(line) for line in lines)
    print(f"{doc.name} ({args.file})")
    print("\n".join([lines[0], rule, *lines[1:-1], rule, lines[-1]]))
    types = {n: report.value_type(n) for n in report.inputs + report.outputs}
    print("inputs:  " + ", ".join(f"{n} {types[n].text()}" for n in report.inputs if types[n]))
    print("outputs: " + ", ".join(f"{n} {types[n].text() if types[n] else '?'}" for n in report.outputs))
    if doc.blocks:
        print("\n".join(["blocks:", *_blocks_text(doc)]))
    if report.problems:
        print()
        _print_problems(report)
    return FAILED if report.errors else OK


def _type_text(doc: GraphDocument, node_id: str) -> str:
    """A node's type; a repeated block instance's with its count (``BasicBlock ×2``)."""
    node = doc.nodes[node_id]
    repeat = node.params.get("repeat", 1) if doc.is_block(node.type) else 1
    return f"{node.type} ×{repeat}" if repeat != 1 else node.type


def _blocks_text(doc: GraphDocument) -> list[str]:
    """One line per block: its signature, where it is used, what it is."""
    lines = []
    for name, definition in doc.blocks.items():
        params = ", ".join(f"{p}={spec.default!r}" for p, spec in definition.parameters.items())
        users = doc.instances_of(name)
        used = f"{len(users)} instance{'s' if len(users) != 1 else ''}" + (f" ({', '.join(users)})" if users else "")
        layers = sum(1 for n in definition.nodes.values() if not doc.spec_for(n.type).is_input
                     and not doc.spec_for(n.type).is_output)
        text = f" — {definition.doc}" if definition.doc else ""
        lines.append(f"  {name}({params}): {layers} nodes, {used}{text}")
    return lines


def export(args: argparse.Namespace) -> int:
    """Write standalone PyTorch code (or, with --train, a training script) to -o or stdout."""
    doc = _load(args.file)
    if doc is None:
        return UNUSABLE
    flags = [f"--{name.replace('_', '-')}" for name in ("data", "epochs", "lr", "batch_size", "device", "seed")
             if getattr(args, name, None) is not None]
    if flags and not getattr(args, "train", False):
        return _fail(f"{', '.join(flags)} only go with --train (the model module has no training settings)")
    try:
        if getattr(args, "train", False):
            try:
                from .train.script import export_training_script
            except ImportError as err:
                return _fail(f"cannot export a training script: this installation has no training support ({err})")
            from .train.cli import overridden_settings

            doc.training = overridden_settings(doc.training, args).to_dict()  # the script carries the flags
            if doc.training.get("recipe") == "gan":  # two networks, another loop: the GAN script
                from .train.gan_script import export_gan_script as export_training_script
            text = export_training_script(doc, base_dir=Path(args.file).resolve().parent)
        else:
            text = export_python(doc, getattr(args, "class_name", None))
    except GraphError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{args.file}: not exported: fix the {_count(len(err.problems), 'error')} first", file=sys.stderr)
        return FAILED
    except NetbuilderError as err:
        return _fail(str(err))
    output = getattr(args, "output", None)
    if getattr(args, "weights", None):
        if getattr(args, "train", False):
            return _fail("--weights goes with the model module, not --train (train.py trains its own)")
        return _export_with_weights(doc, text, output, args.weights)
    if not output:
        sys.stdout.write(text)
        return OK
    try:
        write_atomic(output, text)
    except OSError as err:
        return _fail(f"cannot write {output}: {err.strerror or err}")
    print(f"wrote {output}", file=sys.stderr)
    return OK


def _export_with_weights(doc: GraphDocument, text: str, output: str | None, run: str) -> int:
    """``export -o model.py --weights RUN``: the module and, beside it, the run's weights."""
    if not output or Path(output).suffix != ".py":
        return _fail("--weights needs -o MODEL.py: the weights go beside it as MODEL.pt")
    from .train.export import WeightsError, model_state, trained_weights, write_beside

    try:
        checkpoint = trained_weights(run)
        weights = write_beside(doc, model_state(checkpoint), output, text)
    except (WeightsError, NetbuilderError) as err:
        return _fail(str(err))
    except OSError as err:
        return _fail(f"cannot write {output}: {err.strerror or err}")
    print(f"wrote {output} and {weights.name} (the weights of {checkpoint})", file=sys.stderr)
    return OK
