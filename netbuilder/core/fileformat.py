"""Reading and writing graph files: versioned JSON, validated, written atomically.

Loading never executes anything from the file. Every problem is collected with
its path into the document (``nodes[3].params.kernel_size: …``) and raised at
once as one :class:`GraphError`, so a broken file is fixed in one pass.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from .document import FORMAT, VERSION, Edge, GraphDocument, Node
from .errors import EditError, GraphError, ParamError
from .layers import get_spec, has_spec


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def node_from_dict(raw: Any, path: str) -> Node:
    """One node, validated; raises :class:`GraphError` naming ``path``."""
    if not isinstance(raw, dict):
        raise GraphError([f"{path}: expected an object, got {type(raw).__name__}"])
    node_id, layer_type = raw.get("id"), raw.get("type")
    if not isinstance(node_id, str) or not node_id.strip():
        raise GraphError([f"{path}.id: expected a non-empty string, got {node_id!r}"])
    if not isinstance(layer_type, str) or not has_spec(layer_type):
        raise GraphError([f"{path}.type: unknown layer type {layer_type!r}"])
    try:
        params = get_spec(layer_type).validate_params(raw.get("params", {}), f"{path}.params", strict=True)
    except ParamError as err:
        raise GraphError([str(err)]) from None
    pos = raw.get("pos", [0, 0])
    if not (isinstance(pos, list) and len(pos) == 2 and all(_number(v) and math.isfinite(v) for v in pos)):
        raise GraphError([f"{path}.pos: expected [x, y] numbers, got {json.dumps(pos)}"])
    return Node(node_id, layer_type, params, (float(pos[0]), float(pos[1])))


def edge_from_dict(raw: Any, path: str) -> Edge:
    if not isinstance(raw, dict):
        raise GraphError([f"{path}: expected an object, got {type(raw).__name__}"])
    for key in ("source", "target"):
        if not isinstance(raw.get(key), str):
            raise GraphError([f"{path}.{key}: expected a node id, got {raw.get(key)!r}"])
    for key in ("source_port", "target_port"):
        value = raw.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise GraphError([f"{path}.{key}: expected a port number ≥ 0, got {value!r}"])
    return Edge(raw["source"], raw["target"], raw.get("source_port", 0), raw.get("target_port", 0))


def document_from_dict(data: Any, source: str | None = None) -> GraphDocument:
    """Build a document from parsed JSON, collecting every problem."""
    if not isinstance(data, dict):
        raise GraphError(["expected a JSON object at the top level"], source)
    problems: list[str] = []
    if data.get("format") != FORMAT:
        problems.append(f"format: expected {FORMAT!r}, got {data.get('format')!r}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"version: expected a positive integer, got {version!r}")
    elif version > VERSION:
        problems.append(f"version: the file is version {version}, newer than this netbuilder reads ({VERSION}): "
                        "please upgrade netbuilder")
    name = data.get("name", "untitled")
    if not isinstance(name, str):
        problems.append(f"name: expected a string, got {name!r}")
        name = "untitled"
    doc = GraphDocument(name)
    for key in ("nodes", "edges"):
        if not isinstance(data.get(key, []), list):
            problems.append(f"{key}: expected a list")
    refused: set[str] = set()  # ids of invalid nodes: their edges would only repeat the problem
    for i, raw in enumerate(data.get("nodes", []) if isinstance(data.get("nodes", []), list) else []):
        try:
            node = node_from_dict(raw, f"nodes[{i}]")
        except GraphError as err:
            problems.extend(err.problems)
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                refused.add(raw["id"])
            continue
        if node.id in doc.nodes:
            problems.append(f"nodes[{i}].id: duplicate id {node.id!r}")
            continue
        doc.nodes[node.id] = node
    for i, raw in enumerate(data.get("edges", []) if isinstance(data.get("edges", []), list) else []):
        try:
            edge = edge_from_dict(raw, f"edges[{i}]")
            if {edge.source, edge.target} & refused:
                continue
            doc.check_edge(edge)
            fed = (edge.target, edge.target_port)
            taken = next((e for e in doc.edges if (e.target, e.target_port) == fed), None)
            if taken is not None:
                problems.append(f"edges[{i}]: input {edge.target_port} of {edge.target!r} is already fed by "
                                f"{taken.source!r}")
                continue
            doc.connect(edge)
        except GraphError as err:
            problems.extend(err.problems)
        except EditError as err:
            problems.append(f"edges[{i}]: {err}")
    for key in ("training", "meta"):
        value = data.get(key, {})
        if not isinstance(value, dict):
            problems.append(f"{key}: expected an object")
        else:
            setattr(doc, key, value)
    if problems:
        raise GraphError(problems, source)
    return doc


def dumps(doc: GraphDocument) -> str:
    """The exact text of a saved file: one node or edge per line, so a change
    to one layer is a one-line diff."""
    data = doc.to_dict()
    lines = ["{"]
    keys = list(data)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = data[key]
        if key in ("nodes", "edges") and value:
            items = [f"    {json.dumps(item, ensure_ascii=False)}" for item in value]
            lines.append(f'  "{key}": [\n' + ",\n".join(items) + f"\n  ]{comma}")
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            lines.append(f'  "{key}": {text}{comma}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def loads(text: str, source: str | None = None) -> GraphDocument:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise GraphError([f"line {err.lineno}, column {err.colno}: invalid JSON ({err.msg})"], source) from None
    except RecursionError:
        raise GraphError(["the JSON is nested too deeply to be a graph file"], source) from None
    return document_from_dict(data, source)


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


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` so that ``path`` holds either the old or the new content.

    The data goes to a temporary file beside the target, is flushed to disk,
    then renamed over it: a crash mid-write never leaves half a file.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_graph(doc: GraphDocument, path: str | os.PathLike) -> None:
    """Write a graph file atomically (stable key order, small diffs)."""
    write_atomic(path, dumps(doc))
