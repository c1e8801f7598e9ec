"""Reading and writing graph files: versioned JSON, validated, written atomically.

Loading never executes anything from the file. Every problem is collected with
its path into the document (``nodes[3].params.kernel_size: …``) and raised at
once as one :class:`GraphError`, so a broken file is fixed in one pass.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import collector
from .atomic import write_atomic
from .blockparams import declared_spec
from .document import FORMAT, VERSION, GraphDocument
from .errors import EditError, GraphError, ParamError
from .library import check_block_name, check_ports_declared
from .records import CONTROLS, Edge, Node, bad_character
from .search_space import space_problems

__all__ = ["MIGRATIONS", "document_from_dict", "dumps", "load_graph", "loads", "save_graph"]


def _blocks_arrive(data: dict) -> dict:
    """Version 1 → 2: the ``blocks`` section is new; a version-1 file has none, so nothing changes."""
    return data


#: ``MIGRATIONS[v]`` turns the parsed form of a version-``v`` file into version ``v + 1``;
#: a file is read by applying every step from its version up to :data:`VERSION`.
MIGRATIONS = {1: _blocks_arrive}


def _bad_strings(value: Any, path: str, out: list[str]) -> None:
    """Problems for every string in ``value`` that cannot be saved again
    (a lone surrogate is valid JSON but not UTF-8), with its path."""
    if isinstance(value, str):
        bad = bad_character(value, allowed=CONTROLS)
        if bad is not None:
            out.append(f"{path or 'file'}: text contains {bad}, which cannot be saved")
    elif isinstance(value, dict):
        for key, item in value.items():
            _bad_strings(key, path, out)
            _bad_strings(item, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _bad_strings(item, f"{path}[{i}]", out)


def document_from_dict(data: Any, source: str | None = None, *, strings_checked: bool = False) -> GraphDocument:
    """Build a document from parsed JSON, collecting every problem.

    Time is linear in the file's size: nodes and edges are added directly
    (each edge's ports checked as it comes), then the wiring is checked for
    cycles once; only a cyclic file pays for per-edge cycle checks, which
    name the edge that closes each cycle. ``strings_checked``: the caller
    knows no string can hold a lone surrogate (see :func:`loads`).
    """
    if not isinstance(data, dict):
        raise GraphError(["expected a JSON object at the top level"], source)
    problems: list[str] = []
    if not strings_checked:
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")  # fast: one pass in C
        except UnicodeEncodeError:
            _bad_strings(data, "", problems)  # slow, only for a broken file: find each string by its path
            raise GraphError(problems, source) from None
    if data.get("format") != FORMAT:
        problems.append(f"format: expected {FORMAT!r}, got {data.get('format')!r}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"version: expected a positive integer, got {version!r}")
    elif version > VERSION:
        problems.append(f"version: the file is version {version}, newer than this netbuilder reads ({VERSION}): "
                        "please upgrade netbuilder")
    else:
        for step in range(version, VERSION):
            data = MIGRATIONS[step](data)
    name = data.get("name", "untitled")
    if not isinstance(name, str):
        problems.append(f"name: expected a string, got {name!r}")
        name = "untitled"
    doc = GraphDocument(name)
    for key in ("nodes", "edges"):
        if not isinstance(data.get(key, []), list):
            problems.append(f"{key}: expected a list")
    read_blocks(doc, data.get("blocks", {}), problems)
    refused = _read_nodes(doc, _list(data, "nodes"), problems)
    _read_edges(doc, _list(data, "edges"), refused, problems)
    for key in ("training", "meta"):
        value = data.get(key, {})
        if not isinstance(value, dict):
            problems.append(f"{key}: expected an object")
        else:
            setattr(doc, key, value)
    if "search" in data:
        found = space_problems(data["search"], doc)
        problems.extend(found)
        if not found:
            doc.search = data["search"]
    if problems:
        raise GraphError(problems, source)
    return doc


DEFINITION_KEYS = frozenset({"doc", "parameters", "nodes", "edges"})


def _list(data: dict, key: str) -> list:
    value = data.get(key, [])
    return value if isinstance(value, list) else []


def _read_nodes(doc: GraphDocument, raws: list, problems: list[str], prefix: str = "") -> set[str]:
    """Add every valid node; returns the ids of refused ones (their edges
    would only repeat the problem)."""
    refused: set[str] = set()
    for i, raw in enumerate(raws):
        try:
            node = Node.from_dict(raw, f"{prefix}nodes[{i}]", doc)
        except GraphError as err:
            problems.extend(err.problems)
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                refused.add(raw["id"])
            continue
        if node.id in doc.nodes:
            problems.append(f"{prefix}nodes[{i}].id: duplicate id {node.id!r}")
            continue
        doc.nodes[node.id] = node
    return refused


def _read_edges(doc: GraphDocument, raws: list, refused: set[str], problems: list[str], prefix: str = "") -> None:
    fed: dict[tuple[str, int], str] = {}
    accepted: list[tuple[int, Edge]] = []
    for i, raw in enumerate(raws):
        try:
            edge = Edge.from_dict(raw, f"{prefix}edges[{i}]")
            if {edge.source, edge.target} & refused:
                continue
            doc.check_ports(edge)
        except GraphError as err:
            problems.extend(err.problems)
            continue
        except EditError as err:
            problems.append(f"{prefix}edges[{i}]: {err}")
            continue
        port = (edge.target, edge.target_port)
        if port in fed:
            problems.append(f"{prefix}edges[{i}]: input {edge.target_port} of {edge.target!r} is already fed by "
                            f"{fed[port]!r}")
            continue
        fed[port] = edge.source
        accepted.append((i, edge))
    doc.edges = [edge for _, edge in accepted]
    if len(doc.topological_order()) == len(doc.nodes):  # acyclic
        return
    doc.edges = []
    for i, edge in accepted:  # the slow path, only for a broken file: name each closing edge
        try:
            doc.connect(edge)
        except EditError as err:
            problems.append(f"{prefix}edges[{i}]: {err}")


def read_blocks(doc: GraphDocument, raw: Any, problems: list[str]) -> None:
    """Read the ``blocks`` section into ``doc.blocks``, definitions a block uses first.

    A block that contains itself (directly or not) is refused with the cycle
    named; so is every problem inside a definition, with its path
    (``blocks.BasicBlock.nodes[2].params.out_channels: …``).
    """
    if not isinstance(raw, dict):
        problems.append("blocks: expected an object")
        return
    kept: dict[str, dict] = {}
    for name, form in raw.items():
        try:
            check_block_name(name)
        except EditError as err:
            problems.append(f"blocks.{name}: {err}")
            continue
        if not isinstance(form, dict):
            problems.append(f"blocks.{name}: expected an object")
            continue
        unknown = sorted(set(form) - DEFINITION_KEYS)
        if unknown:
            problems.append(f"blocks.{name}.{unknown[0]}: unknown key (known: {', '.join(sorted(DEFINITION_KEYS))})")
        kept[name] = form
    uses = {name: [n.get("type") for n in _list(form, "nodes") if isinstance(n, dict) and n.get("type") in kept]
            for name, form in kept.items()}
    order, cyclic = _dependency_order(uses, problems)
    loaded: dict[str, GraphDocument] = {}
    for name in order:
        loaded[name] = definition = _read_definition(doc, name, kept[name], problems)
        doc.blocks[name] = definition  # the next definitions may instance it
    doc.blocks = {name: loaded[name] for name in kept if name in loaded}
    for name in cyclic:  # instances of a refused block say so, not "unknown layer type"
        doc.blocks.setdefault(name, _placeholder(doc, name, kept[name]))


def _dependency_order(uses: dict[str, list[str]], problems: list[str]) -> tuple[list[str], set[str]]:
    """Blocks in an order where each comes after those it uses; and those on or above a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}  # name -> "open" while visiting, "done" after
    cyclic: set[str] = set()

    def visit(name: str, chain: list[str]) -> bool:
        if state.get(name) == "done":
            return name not in cyclic
        if state.get(name) == "open":
            cycle = chain[chain.index(name):] + [name]
            problems.append(f"blocks.{name}: block {name} contains itself: {' → '.join(cycle)}")
            cyclic.update(cycle)
            return False
        state[name] = "open"
        fine = all([visit(used, [*chain, name]) for used in uses[name]])
        state[name] = "done"
        if fine:
            order.append(name)
        else:
            cyclic.add(name)
        return fine

    for name in uses:
        visit(name, [])
    return order, cyclic


def _read_definition(library: GraphDocument, name: str, form: dict, problems: list[str]) -> GraphDocument:
    prefix = f"blocks.{name}."
    definition = GraphDocument(name)
    definition.library = library
    text = form.get("doc", "")
    if isinstance(text, str):
        definition.doc = text
    else:
        problems.append(f"{prefix}doc: expected a string, got {text!r}")
    declared = form.get("parameters", {})
    if not isinstance(declared, dict):
        problems.append(f"{prefix}parameters: expected an object")
        declared = {}
    for key, value in declared.items():
        try:
            definition.parameters[key] = declared_spec(key, value, f"{prefix}parameters.{key}")
        except ParamError as err:
            problems.append(str(err))
    for key in ("nodes", "edges"):
        if not isinstance(form.get(key, []), list):
            problems.append(f"{prefix}{key}: expected a list")
    refused = _read_nodes(definition, _list(form, "nodes"), problems, prefix)
    _read_edges(definition, _list(form, "edges"), refused, problems, prefix)
    try:
        check_ports_declared(definition)
    except EditError as err:
        problems.append(f"blocks.{name}: {err}")
    return definition


def _placeholder(library: GraphDocument, name: str, form: dict) -> GraphDocument:
    """A stand-in for a refused block: its parameters and ports only, so its
    instances read without repeating the problem."""
    quiet: list[str] = []
    ports = [n for n in _list(form, "nodes") if isinstance(n, dict) and n.get("type") in ("Input", "Output")]
    return _read_definition(library, name, {**form, "nodes": ports, "edges": []}, quiet)


def dumps(doc: GraphDocument) -> str:
    """The exact text of a saved file: one node or edge per line, so a change
    to one layer is a one-line diff."""
    return "\n".join(_object_lines(doc.to_dict(), "")) + "\n"


def _object_lines(data: dict, indent: str) -> list[str]:
    """``data`` as a JSON object, one node or edge per line; the ``blocks`` section,
    an object of definitions, written the same way one level deeper."""
    lines = ["{"]
    keys = list(data)
    inner = indent + "  "
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = data[key]
        name = json.dumps(key, ensure_ascii=False)
        if key in ("nodes", "edges") and value:
            items = [f"{inner}  {json.dumps(item, ensure_ascii=False)}" for item in value]
            lines.append(f"{inner}{name}: [\n" + ",\n".join(items) + f"\n{inner}]{comma}")
        elif key == "parameters" and value:  # a declared parameter a line
            items = [f"{inner}  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                     for k, v in value.items()]
            lines.append(f"{inner}{name}: {{\n" + ",\n".join(items) + f"\n{inner}}}{comma}")
        elif key == "blocks" and not indent and value:
            lines.append(f"{inner}{name}: {{")
            for j, (block, form) in enumerate(value.items()):
                body = _object_lines(form, inner + "  ")
                body[0] = f"{inner}  {json.dumps(block, ensure_ascii=False)}: {{"
                body[-1] += "," if j < len(value) - 1 else ""
                lines += body
            lines.append(f"{inner}}}{comma}")
        elif key == "search" and not indent:  # one line per variable, like nodes
            lines.append(f"{inner}{name}: {_search_text(value)}{comma}")
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + inner)
            lines.append(f"{inner}{name}: {text}{comma}")
    lines.append(indent + "}")
    return lines


def _search_text(search: dict) -> str:
    parts = []
    for name, value in search.items():
        if name == "space" and isinstance(value, dict) and value:
            items = [f"      {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                     for k, v in value.items()]
            parts.append('    "space": {\n' + ",\n".join(items) + "\n    }")
        else:
            parts.append(f"    {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n  }"


def loads(text: str, source: str | None = None) -> GraphDocument:
    with collector.paused():  # see netbuilder.core.collector
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise GraphError([f"line {err.lineno}, column {err.colno}: invalid JSON ({err.msg})"], source) from None
        except RecursionError:
            raise GraphError(["the JSON is nested too deeply to be a graph file"], source) from None
        # JSON text that is valid UTF-8 and has no \u escape (netbuilder writes them only for
        # control characters) cannot parse to a lone surrogate: no need to look at every string again
        return document_from_dict(data, source, strings_checked="\\u" not in text and _is_utf8(text))


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_graph(path: str | os.PathLike) -> GraphDocument:
    """Read a graph file. Raises :class:`GraphError` listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise GraphError([f"cannot read file ({err.strerror or err})"], str(path)) from None
    except UnicodeDecodeError:
        raise GraphError(["not a UTF-8 text file"], str(path)) from None
    return loads(text, str(path))


def save_graph(doc: GraphDocument, path: str | os.PathLike) -> None:
    """Write a graph file atomically (stable key order, small diffs)."""
    write_atomic(path, dumps(doc))
