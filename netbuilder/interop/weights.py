"""Imported weights beside the graph file: ``graph.json`` + ``graph.weights.pt``.

Graph files stay plain JSON that loading never executes; the weights go to a
separate file in torch's format, which is read back with
``torch.load(weights_only=True)`` (tensors only, no pickled code). The graph
names its weights file in ``meta.weights``, relative to its own folder, so the
two can be moved together.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from ..core.document import GraphDocument
from ..core.errors import NetbuilderError
from ..core.fileformat import save_graph

META_KEY = "weights"


def weights_path_for(graph_path: str | os.PathLike) -> Path:
    graph_path = Path(graph_path)
    return graph_path.with_name(graph_path.name.removesuffix(".json") + ".weights.pt")


def save_with_weights(doc: GraphDocument, state_dict: dict, graph_path: str | os.PathLike) -> Path:
    """Write the weights (atomically), then the graph that names them; returns the weights path."""
    path = weights_path_for(graph_path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(state_dict, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    doc.set_meta(META_KEY, path.name)
    save_graph(doc, graph_path)
    return path


def load_weights(doc: GraphDocument, graph_path: str | os.PathLike) -> dict | None:
    """The weights the graph names in ``meta.weights``, or None if it names none."""
    name = doc.meta.get(META_KEY)
    if name is None:
        return None
    if not isinstance(name, str) or not name:
        raise NetbuilderError(f"{graph_path}: meta.weights must be a file name, got {name!r}")
    path = Path(graph_path).parent / name
    if not path.is_file():
        raise NetbuilderError(f"{graph_path} names weights file {name}, which is missing; put it beside the graph "
                              "or remove meta.weights to start from random weights")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise NetbuilderError(f"{path}: not a weights file ({err})") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise NetbuilderError(f"{path}: expected a dict of tensors")
    return state
