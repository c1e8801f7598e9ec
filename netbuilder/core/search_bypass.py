"""A search's structure dimension: a node that may be bypassed (``<node id>.bypass``).

A trial that skips a node gets a copy of the graph without it, its one input
wired straight to whatever it fed (:func:`skip_node`, called by
:func:`~.search_space.apply_values`). Only a node between one input wire and
its first output can be skipped, and only one whose output has its input's
shape and dtype, or the graph after it would change: :func:`bypass_problems`
says which declared bypass breaks either rule, naming the node, when the
space is declared (the inspector) and when a study starts.
"""

from __future__ import annotations

from .errors import ParamError
from .search_space import BYPASS, owner_of, parse_target, spec_in


def bypass_edges(owner, node_id: str) -> list:
    """The wires that replace node ``node_id`` when it is skipped: its feeder to
    each of its readers; ``ValueError`` saying why when it cannot be skipped."""
    from .records import Edge

    node = owner.nodes[node_id]
    spec = spec_in(owner, node.type)
    what = f"{node.type} '{node_id}'"
    if spec is None or spec.is_input or spec.is_output or spec.max_inputs == 0:
        raise ValueError(f"{what} cannot be bypassed: only a node between an input and an output can be")
    inputs = owner.in_edges(node_id)
    if len(inputs) != 1 or inputs[0].target_port != 0:
        raise ValueError(f"{what} cannot be bypassed: it needs exactly one input wire, it has {len(inputs)}")
    outputs = owner.out_edges(node_id)
    if any(e.source_port != 0 for e in outputs):
        raise ValueError(f"{what} cannot be bypassed: it feeds on from more than its first output")
    feeder = inputs[0]
    return [Edge(feeder.source, e.target, feeder.source_port, e.target_port) for e in outputs]


def skip_node(owner, node_id: str, field: str) -> None:
    """Remove ``node_id`` from ``owner`` (a trial's copy), wiring its input straight to its output."""
    try:
        edges = bypass_edges(owner, node_id)
    except ValueError as err:
        raise ParamError(field, str(err)) from None
    owner.remove_node(node_id)
    for edge in edges:
        owner.connect(edge)


def bypass_problems(doc, report, path: str = "search") -> list[str]:
    """Each ``<node>.bypass`` target of ``doc.search`` whose node cannot be skipped: not one
    wire in and out, or (with a shape ``report`` of ``doc``) an output shape other than its input's."""
    problems = []
    for name, raw in (doc.search.get("space") or {}).items():
        for i, text in enumerate(raw.get("targets", ())):
            target = parse_target(text)
            owner = owner_of(doc, target)
            if target.param != BYPASS or target.training_path is not None or owner is None \
                    or target.node not in owner.nodes:
                continue
            where = f"{path}.space.{name}.targets[{i}]"
            try:
                bypass_edges(owner, target.node)
            except ValueError as err:
                problems.append(f"{where}: {err}")
                continue
            info = report.nodes.get(target.node) if report is not None and target.block is None else None
            if info is None or not info.inputs or not info.outputs:
                continue
            given, made = info.inputs[0], info.outputs[0]
            if (given.shape, given.dtype) != (made.shape, made.dtype):
                node = owner.nodes[target.node]
                problems.append(f"{where}: {node.type} '{target.node}' cannot be bypassed: its output "
                                f"{made.text()} differs from its input {given.text()}")
    return problems
