"""A search's structure dimension: a node that may be bypassed (``<node id>.bypass``).

A trial that skips a node gets a copy of the graph without it, its one input
wired straight to whatever it fed (:func:`skip_node`, called by
:func:`~.search_space.apply_values`). Only a node between one input wire and
its first output can be skipped, and only one whose output has its input's
shape and dtype, or the graph after it would change: :func:`why_not_bypassed`
says which rule a node breaks, naming it
(:func:`~.search_space.bypass_problems` asks it of every declared bypass when
the space is declared in the inspector, at ``check`` and when a study starts).
"""

from __future__ import annotations

from .errors import ParamError

BYPASS = "bypass"  # the pseudo-parameter <node id>.bypass: true skips the node (no layer has a parameter so named)


def bypass_edges(owner, node_id: str) -> list:
    """The wires that replace node ``node_id`` when it is skipped: its feeder to
    each of its readers; ``ValueError`` saying why when it cannot be skipped."""
    from .records import Edge

    node = owner.nodes[node_id]
    spec = owner.spec_for(node.type) if owner.has_type(node.type) else None
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


def why_not_bypassed(owner, node_id: str, info=None) -> str | None:
    """Why node ``node_id`` of ``owner`` cannot be skipped, or None: its wiring, and with its
    shape inference ``info`` (a :class:`~.report.NodeInfo`) an output shape other than its input's."""
    try:
        bypass_edges(owner, node_id)
    except ValueError as err:
        return str(err)
    if info is None or not info.inputs or not info.outputs:
        return None
    given, made = info.inputs[0], info.outputs[0]
    if (given.shape, given.dtype) == (made.shape, made.dtype):
        return None
    return (f"{owner.nodes[node_id].type} '{node_id}' cannot be bypassed: its output {made.text()} differs "
            f"from its input {given.text()}")
