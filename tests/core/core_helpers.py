"""Small builders shared by the core tests (imported by name: tests have no packages)."""

from __future__ import annotations

import runpy
import sys
import types
from pathlib import Path

import torch

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.tokens import smallest_vocabulary

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def chain(*steps, name: str = "test") -> GraphDocument:
    """A document wiring ``(type, params)`` or ``(type, params, id)`` steps one after another."""
    doc = GraphDocument(name)
    previous = None
    for step in steps:
        layer_type, params, *node_id = step
        node = doc.add_node(layer_type, params, node_id=node_id[0] if node_id else None)
        if previous is not None:
            doc.connect(Edge(previous, node))
        previous = node
    return doc


def wire(doc: GraphDocument, *edges) -> GraphDocument:
    """Connect ``(source, target)`` or ``(source, target, source_port, target_port)`` edges."""
    for edge in edges:
        doc.connect(Edge(*edge))
    return doc


def random_inputs(doc: GraphDocument, input_ids: list[str], batch: int = 3, seed: int = 0) -> list[torch.Tensor]:
    """One batch per Input node, token ids kept below the vocabulary of every lookup they reach."""
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for node_id in input_ids:
        params = doc.nodes[node_id].params
        shape = (batch, *params["shape"])
        if _feeds_unpool_indices(doc, node_id):
            tensors.append(_distinct_indices(shape, generator))
        elif params["dtype"] == "int64":
            tensors.append(torch.randint(0, smallest_vocabulary(doc, node_id), shape, generator=generator))
        else:
            tensors.append(torch.randn(shape, generator=generator))
    return tensors


def _feeds_unpool_indices(doc: GraphDocument, node_id: str) -> bool:
    return any(edge.source == node_id and edge.target_port == 1
               and doc.nodes[edge.target].type.startswith("MaxUnpool") for edge in doc.edges)


def _distinct_indices(shape: tuple, generator: torch.Generator) -> torch.Tensor:
    """Indices as a MaxPool returns them: distinct within each (sample, channel) plane. Duplicates
    make MaxUnpool's result depend on thread scheduling (torch documents it as undefined)."""
    plane = 1
    for size in shape[2:]:
        plane *= size
    planes = [torch.randperm(plane, generator=generator) for _ in range(shape[0] * shape[1])]
    return torch.stack(planes).reshape(shape)


def as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def load_exported(source: str, tmp_path: Path, class_name: str) -> type:
    """The class defined by an exported file, imported the way a user would (no netbuilder)."""
    path = tmp_path / f"exported_{class_name.lower()}.py"
    path.write_text(source, encoding="utf-8")
    module = types.ModuleType(path.stem)
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return getattr(module, class_name)


def run_as_script(path: Path, capsys) -> str:
    """Run ``path`` as ``__main__`` in this process (like ``python path``) and return what it printed."""
    argv = sys.argv
    try:
        sys.argv = [str(path)]
        runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = argv
    return capsys.readouterr().out
