"""Imported weights beside the graph file: ``graph.json`` + ``graph.weights.pt``.

Graph files stay plain JSON that loading never executes; the weights go to a
separate file in torch's format, which is read back with
``torch.load(weights_only=True)`` (tensors only, no pickled code). The graph
names its weights file in ``meta.weights``, relative to its own folder, so the
two can be moved together; a name that leads out of that folder is refused, so
a graph file cannot make netbuilder read files elsewhere.

A weights file's ``state_dict`` keys come from the node ids the graph had when
it was written. A rename since then is recorded in ``meta.weights_ids`` (see
:meth:`GraphDocument.rename_node`), and :func:`remap_to_current` uses it to
give each tensor its node's current key.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

import torch

from ..core.atomic import write_atomic
from ..core.codegen import generate
from ..core.document import WEIGHTS_IDS, GraphDocument
from ..core.errors import NetbuilderError
from ..core.fileformat import save_graph

META_KEY = "weights"


def weights_path_for(graph_path: str | os.PathLike) -> Path:
    graph_path = Path(graph_path)
    return graph_path.with_name(graph_path.name.removesuffix(".json") + ".weights.pt")


def save_with_weights(doc: GraphDocument, state_dict: dict, graph_path: str | os.PathLike) -> Path:
    """Write the weights (keyed by ``doc``'s current ids, atomically), then the
    graph that names them; returns the weights path."""
    path = weights_path_for(graph_path)
    write_atomic(path, lambda tmp: torch.save(state_dict, tmp))
    doc.set_meta(META_KEY, path.name)
    doc.meta.pop(WEIGHTS_IDS, None)
    save_graph(doc, graph_path)
    return path


def load_weights(doc: GraphDocument, graph_path: str | os.PathLike) -> dict | None:
    """The weights the graph names in ``meta.weights`` keyed for its current ids,
    or None if it names none.

    ``doc`` forgets ``meta.weights_ids`` afterwards: the returned keys are current.
    """
    name = doc.meta.get(META_KEY)
    if name is None:
        return None
    path = Path(graph_path).parent / _checked_name(name, graph_path)
    if not path.is_file():
        raise NetbuilderError(f"{graph_path} names weights file {name}, which is missing; put it beside the graph "
                              "or remove meta.weights to start from random weights")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise NetbuilderError(f"{path}: not a weights file ({err})") from err
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise NetbuilderError(f"{path}: expected a dict of tensors")
    state = remap_to_current(doc, state)
    doc.meta.pop(WEIGHTS_IDS, None)
    return state


def _checked_name(name, graph_path) -> str:
    """``meta.weights`` if it names a file in the graph's folder or below it."""
    if not isinstance(name, str) or not name.strip():
        raise NetbuilderError(f"{graph_path}: meta.weights must be a file name, got {name!r}")
    for flavour in (PurePosixPath, PureWindowsPath):
        pure = flavour(name)
        if pure.is_absolute() or pure.drive or ".." in pure.parts:
            raise NetbuilderError(f"{graph_path}: meta.weights must name a file beside the graph (or in a folder "
                                  f"below it), got {name!r}; move the weights there")
    return name


def remap_to_current(doc: GraphDocument, state: dict) -> dict:
    """``state`` with keys made for the ids of ``meta.weights_ids`` rewritten
    for the nodes' current ids (unchanged when nothing was renamed)."""
    saved_ids = doc.meta.get(WEIGHTS_IDS)
    if not isinstance(saved_ids, dict) or not saved_ids:
        return state
    try:
        now = generate(doc).attr_of
        then = generate(_as_saved(doc, saved_ids)).attr_of
    except NetbuilderError:
        return state  # a graph with errors builds no model to load them into anyway
    moved = {}
    for node, attr in now.items():
        before = then.get(saved_ids.get(node, node))
        if before is not None and before != attr:
            moved[before] = attr
    out = {}
    for key, tensor in state.items():
        attr, dot, rest = key.partition(".")
        out[moved.get(attr, attr) + dot + rest] = tensor
    return out


def _as_saved(doc: GraphDocument, saved_ids: dict) -> GraphDocument:
    """A copy of ``doc`` with its nodes named as when the weights were made.

    Renames go through placeholder ids first so that swaps (a→b, b→a) work.
    """
    twin = doc.copy()
    twin.meta.pop(WEIGHTS_IDS, None)
    pending = {cur: old for cur, old in saved_ids.items() if cur in twin.nodes and isinstance(old, str)}
    for i, current in enumerate(pending):
        twin.rename_node(current, f"\x00{i}")
    for i, old in enumerate(pending.values()):
        if old not in twin.nodes:
            twin.rename_node(f"\x00{i}", old)
    return twin
