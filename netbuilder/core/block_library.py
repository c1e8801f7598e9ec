"""Block libraries: folders of graph files, one block each (the built-in one under ``resources/blocks``).

A library file is an ordinary graph file (it opens, checks and exports like
any other): its ``name`` is the block's, its ``blocks`` section holds the
block and every block it uses, and its nodes are one example use of it (an
Input per port, the instance, an Output per result). Loading one into a
document is a :class:`~netbuilder.core.blocks.Plan` adding the block and the
dependencies the document lacks, so it is one undoable step.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..bundled import folder
from .blocks import Plan
from .document import Edge, GraphDocument
from .errors import EditError, GraphError
from .fileformat import load_graph, save_graph

#: The library netbuilder ships: BasicBlock, Bottleneck, InvertedResidual, SqueezeExcite, …
BUILTIN = folder("resources") / "blocks"


@dataclass(frozen=True)
class LibraryBlock:
    """One block a library offers (what a palette shows)."""

    name: str
    doc: str
    path: Path
    builtin: bool
    parameters: tuple[str, ...] = ()


@dataclass
class Library:
    """The blocks of some folders, and the files that could not be read (with why)."""

    blocks: list[LibraryBlock] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def find(self, name: str) -> LibraryBlock | None:
        return next((b for b in self.blocks if b.name == name), None)


def list_library(folders: Iterable[str | os.PathLike] | None = None) -> Library:
    """Every block of ``folders`` (default: the built-in library), sorted by name; a name
    found twice is taken from the first folder that has it."""
    library = Library()
    for place in [BUILTIN] if folders is None else [Path(f) for f in folders]:
        if not Path(place).is_dir():
            continue
        for path in sorted(Path(place).glob("*.json")):
            try:
                source = read_block(path)
            except GraphError as err:
                library.problems.append(str(err))
                continue
            if library.find(source.name) is None:
                definition = source.blocks[source.name]
                library.blocks.append(LibraryBlock(source.name, definition.doc, path,
                                                   Path(place).resolve() == BUILTIN.resolve(),
                                                   tuple(definition.parameters)))
    library.blocks.sort(key=lambda b: b.name)
    return library


def read_block(path: str | os.PathLike) -> GraphDocument:
    """A library file's document; :class:`GraphError` if it is no block of its name."""
    source = load_graph(path)
    if source.name not in source.blocks:
        raise GraphError([f"name: a library file defines the block it is named after; {source.name!r} is none "
                          f"of its blocks ({', '.join(source.blocks) or 'none'})"], str(path))
    return source


def _innermost_first(library: GraphDocument, name: str) -> list[str]:
    order: list[str] = []

    def visit(block: str) -> None:
        for node in library.blocks[block].nodes.values():
            if node.type in library.blocks and node.type not in order:
                visit(node.type)
        if block not in order:
            order.append(block)

    visit(name)
    return order


def plan_load(doc: GraphDocument, path: str | os.PathLike) -> Plan:
    """The plan adding the block of library file ``path`` to ``doc``'s library, with the
    blocks it uses that are not there yet. A block of the same name that differs is refused."""
    source = read_block(path)
    plan = Plan()
    for name in _innermost_first(source, source.name):
        mine = doc.library.blocks.get(name)
        theirs = source.blocks[name]
        if mine is None:
            plan.add_blocks.append((name, theirs.copy(), None))
        elif mine.definition_dict() != theirs.definition_dict():
            raise EditError(f"the graph already has a different block named {name!r}: rename or remove it "
                            "to load this one")
    return plan


def library_document(doc: GraphDocument, name: str) -> GraphDocument:
    """The library file form of block ``name`` of ``doc``: the block, the blocks it uses,
    and an example use fed the example shapes of its Inputs."""
    library = doc.library
    definition = library.block(name)
    out = GraphDocument(name)
    for block in _innermost_first(library, name):
        out.add_block(block, library.blocks[block].copy())
    spec = out.spec_for(name)
    inputs = [out.add_node("Input", dict(definition.nodes[i].params), (0.0, 120.0 * port), out.unique_id(i))
              for port, i in enumerate(spec.input_ids)]
    instance = out.add_node(name, {}, (240.0, 0.0), out.unique_id("block"))
    outputs = [out.add_node("Output", {}, (480.0, 120.0 * port), out.unique_id(o))
               for port, o in enumerate(spec.output_ids)]
    for port, node_id in enumerate(inputs):
        out.connect(Edge(node_id, instance, 0, port))
    for port, node_id in enumerate(outputs):
        out.connect(Edge(instance, node_id, port, 0))
    return out


def save_to_library(doc: GraphDocument, name: str, folder_path: str | os.PathLike) -> Path:
    """Write block ``name`` of ``doc`` as ``<folder>/<name>.json`` (atomically); returns the path."""
    target = Path(folder_path) / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    save_graph(library_document(doc, name), target)
    return target
