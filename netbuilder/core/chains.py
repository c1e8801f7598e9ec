"""Blocks that are ``nn.Sequential``: a chain of nodes called ``0``, ``1``… from Input to Output.

An imported ``nn.Sequential`` (``layer2`` of a ResNet: a ``BasicBlock`` with a
downsample, then one without) keeps its children's names, because they are
its ``state_dict`` keys (``layer2.0.conv1.weight``). No attribute can be
called ``0`` in a class body, so such a block is written as what it was, a
subclass of ``nn.Sequential`` whose constructor passes its children in order
and which needs no ``forward``::

    class Stage(nn.Sequential):
        def __init__(self, channels=128):
            super().__init__(
                BasicBlock_2(channels=channels),
                BasicBlock(channels=channels),
            )
"""

from __future__ import annotations

from .layers import Emit
from .pysource import fit


def chain(doc) -> list[str] | None:
    """The ids ``0``, ``1``… of ``doc``'s inner nodes when ``doc`` is such a chain, else None.

    Every inner node must be one module called on the value before it
    (``y = self.m(x)``), as ``nn.Sequential.forward`` calls its children.
    """
    roles = {n: doc.spec_for(node.type) for n, node in doc.nodes.items()}
    inputs = [n for n, spec in roles.items() if spec.is_input]
    outputs = [n for n, spec in roles.items() if spec.is_output]
    inner = [n for n in doc.nodes if n not in inputs and n not in outputs]
    if len(inputs) != 1 or len(outputs) != 1 or sorted(inner) != sorted(str(i) for i in range(len(inner))):
        return None
    order = [str(i) for i in range(len(inner))]
    if not order:
        return None
    path = [inputs[0], *order, outputs[0]]
    wanted = {(a, b, 0, 0) for a, b in zip(path, path[1:])}
    if {(e.source, e.target, e.source_port, e.target_port) for e in doc.edges} != wanted \
            or len(doc.edges) != len(wanted):
        return None
    for node_id in order:
        spec = roles[node_id]
        call = spec.emit(Emit(("x",), ("y",), "self.m", doc.nodes[node_id].params, "x.shape[0]"))
        if not spec.has_state or call != ["y = self.m(x)"]:
            return None
    return order


def chain_class(name: str, docstring: str, signature: str, children: list[tuple[str, str]]) -> tuple[str, dict]:
    """The source of the ``nn.Sequential`` subclass for ``children`` ((node id, constructor call)),
    and the node id behind each line (1-based)."""
    text = [f"class {name}(nn.Sequential):", f'    """{docstring}"""', "",
            *fit(f"def __init__({signature}):", "    "), "        super().__init__("]
    line_of: dict[int, str] = {}
    for node_id, call in children:
        for line in fit(f"{call},", " " * 12):
            text.append(line)
            line_of[len(text)] = node_id
    text.append("        )")
    return "\n".join(text) + "\n", line_of
