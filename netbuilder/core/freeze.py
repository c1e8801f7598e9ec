"""Which submodules the training settings' ``freeze`` list names, as module paths of the built model.

An entry of ``training.freeze`` is one of:

- a node id of the graph (``stem``; an instance id freezes the whole instance);
- ``Block/node``: that node of a block definition in every instance of the block,
  every copy of a repeated one (what the inspector's checkbox writes for a node
  shown inside a block: an edit inside a definition is an edit of every instance);
- a module path into the model, as ``state_dict`` keys and torch.fx name it
  (``layer2.0.conv1``; ``layer2.0`` for one copy of a repeated instance): one use only.

:func:`freeze_paths` turns the list into module paths (``model.get_submodule(path)``),
which the engine and the exported training script both freeze, so they agree.
Inside a block a node's attribute is its id, a copy of a repeated instance is
``0``, ``1``… as in ``nn.Sequential``.
"""

from __future__ import annotations

from .document import GraphDocument
from .layers.spec import no_parameters
from .library import BlockSpec


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _learns(spec) -> bool:
    """A layer holding weights (an activation's module holds none)."""
    return spec.has_state and not isinstance(spec, BlockSpec) and spec.count_params is not no_parameters


def instance_paths(doc: GraphDocument, attr_of: dict[str, str]) -> list[tuple[str, str]]:
    """(block, module path) of every use of a block in the model, outermost first."""
    library, found = doc.library, []

    def walk(graph: GraphDocument, prefix: str) -> None:
        for node in graph.nodes.values():
            if not isinstance(graph.spec_for(node.type), BlockSpec):
                continue
            base = _join(prefix, attr_of.get(node.id, node.id) if graph is doc else node.id)
            repeat = node.params.get("repeat", 1)
            for path in [_join(base, str(i)) for i in range(repeat)] if repeat > 1 else [base]:
                found.append((node.type, path))
                walk(library.blocks[node.type], path)

    walk(doc, "")
    return found


def freeze_paths(doc: GraphDocument, entries: list[str], attr_of: dict[str, str]) -> tuple[list[str], list[str]]:
    """The module paths ``entries`` name (each once, in order) and a message per entry that names none.

    ``attr_of``: the model's attribute of each top-level node with state (``GeneratedModel.attr_of``).
    """
    uses = instance_paths(doc, attr_of)
    inner: dict[str, str] = {}  # module path of a node inside a block → its block
    uses_at = {path for _, path in uses}
    for block, path in uses:
        inner[path] = block
        definition = doc.library.blocks[block]
        for node in definition.nodes.values():
            if _learns(definition.spec_for(node.type)):
                inner[_join(path, node.id)] = block
    paths: list[str] = []
    problems: list[str] = []
    for entry in entries:
        if entry in doc.nodes:
            if entry in attr_of:
                paths.append(attr_of[entry])
            else:
                problems.append(f"{doc.nodes[entry].type} '{entry}' has no parameters to freeze")
            continue
        block, slash, node_id = entry.partition("/")
        if slash:
            definition = doc.library.blocks.get(block)
            if definition is None or node_id not in definition.nodes:
                problems.append(f"there is no node {node_id!r} in a block {block!r}")
            elif not _learns(definition.spec_for(definition.nodes[node_id].type)):
                problems.append(f"{block}/{node_id} has no parameters to freeze")
            else:
                paths += [_join(path, node_id) for name, path in uses if name == block]
            continue
        if entry in inner:
            paths.append(entry)
            continue
        example = next((p for p in inner if p not in uses_at), None)
        problems.append(f"there is no node {entry!r} in the graph" + (
            f" (nor a module path such as {example!r} inside a block)" if example else ""))
    return list(dict.fromkeys(paths)), problems
