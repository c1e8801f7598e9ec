"""``import_module(..., blocks=True)``: the model as a graph of blocks, with its own ``state_dict`` keys.

:mod:`.hierarchy` imports every module instance level by level and
:mod:`.block_definitions` groups the levels into definitions; here the result is
read as a graph file is (so it is checked the same way), every graph is laid
out, the original tensors are keyed for the graph's model, and the graph's
model must reproduce the module's outputs, as for a flat import.

The keys are the original ones whenever the graph's ids are the module's
attribute names, which the ids are chosen to be: ``layer2.0.conv1.weight`` in
PyTorch is ``layer2.0.conv1.weight`` in the exported model, so a checkpoint of
the original loads into it with ``strict=True``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..core.document import GraphDocument
from ..core.fileformat import document_from_dict
from ..core.layout import layered_positions
from ..core.shapes import infer_shapes
from .block_definitions import file_form
from .errors import UnsupportedModelError, UnsupportedOp
from .hierarchy import Level, import_levels


def import_blocks(module: nn.Module, inputs: tuple[torch.Tensor, ...], advice: str):
    """The :class:`~.fx_import.ImportedModel` of ``module`` with its submodules as blocks;
    ``advice`` ends the list of what it cannot represent."""
    from .fx_import import ImportedModel, _verify

    name = type(module).__name__
    hierarchy = import_levels(module, inputs)
    if hierarchy.unsupported or hierarchy.root is None:
        raise UnsupportedModelError(name, hierarchy.unsupported, advice)
    doc = document_from_dict(file_form(hierarchy, name), name)
    _lay_out(doc)
    notes = hierarchy.notes + _check_shapes(doc, advice)
    weights, moved = _weights(hierarchy.root, module.state_dict())
    if moved:
        first, mine = next(iter(moved.items()))
        notes.append(f"{len(moved)} weights are named differently from {name}'s state_dict ({first} is {mine}): "
                     "a submodule that is no block here (a ModuleList not called as a chain, one traced "
                     "through) has a node per call, named after its path")
    _verify(module, doc, weights, inputs)
    return ImportedModel(doc, weights, notes)


def _check_shapes(doc: GraphDocument, advice: str) -> list[str]:
    """netbuilder's own shape inference must accept the graph; its warnings become notes."""
    report = infer_shapes(doc)
    if report.errors:
        ops = [UnsupportedOp(problem.node_id or "graph", problem.message) for problem in report.errors]
        raise UnsupportedModelError(doc.name, ops, advice)
    return [f"netbuilder warns: {w.message}" for w in report.warnings]


def _lay_out(doc: GraphDocument) -> None:
    """Left to right: the model in bands, as the window lays out an import; each definition in
    one row, where its skip connections read best (a block has a dozen nodes, not seventy)."""
    for graph, wrap in ((doc, True), *((definition, False) for definition in doc.blocks.values())):
        for node_id, pos in layered_positions(graph, wrap=wrap).items():
            graph.nodes[node_id].pos = pos


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _weights(root: Level, state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The module's tensors keyed for the graph's model, and the keys that changed.

    A node's state path in its level (``downsample.0``) becomes its path of ids
    (``downsample.0``, the same but where an id had to differ: ``layers_0`` for
    ``layers.0`` called on its own); a repeated block's copies are ``0``, ``1``…
    as in ``nn.Sequential``.
    """
    weights: dict[str, torch.Tensor] = {}
    moved: dict[str, str] = {}

    def walk(level: Level, built: str) -> None:
        for node in level.nodes:
            if node.state is None:
                continue
            original, mine = _join(level.path, node.state), _join(built, node.id)
            if node.child is None:
                for key, tensor in state.items():
                    if key == original or key.startswith(original + "."):
                        weights[mine + key[len(original):]] = tensor.detach().clone()
                        if original != mine:
                            moved[key] = mine + key[len(original):]
            elif node.child.group.repeat_of is not None:
                copies = [n for n in node.child.nodes if n.child is not None]
                for i, copy in enumerate(copies):
                    walk(copy.child, _join(mine, str(i)))
            else:
                walk(node.child, mine)

    walk(root, "")
    return weights, {key: mine for key, mine in moved.items() if key not in weights}  # not kept as they were
