"""The plain records a graph document is made of: nodes, edges, changes.

They live apart from :class:`~netbuilder.core.document.GraphDocument` so that
both the document (paste) and the file reader (load) validate a record with
the same code, and neither has to import the other.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .blockparams import has_references
from .errors import EditError, GraphError, ParamError
from .layers import LayerSpec, get_spec, has_spec


@dataclass
class Node:
    """One layer instance. ``params`` holds only validated, JSON-plain values."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)

    def __deepcopy__(self, memo: dict) -> Node:
        """A copy sharing nothing mutable. ``params`` are JSON-plain, so copying
        their dicts and lists is enough, and many times faster than the generic
        deep copy (opening a file and each undo step copy every node)."""
        return Node(self.id, self.type, _plain_copy(self.params), self.pos)

    @property
    def spec(self) -> LayerSpec:
        """The node's layer type from the registry: ask it for the node's role
        (``node.spec.is_input``), never the type name. A block instance's type is
        known only to its document: code that has one asks ``doc.spec_for(node.type)``."""
        return get_spec(self.type)

    def to_dict(self, spec: LayerSpec | None = None) -> dict:
        """File form: only parameters that differ from the default (small diffs),
        in the layer's normal form (a value set alone by :meth:`GraphDocument.set_param`
        may not be in it yet). ``spec``: the node's type as its document resolves it
        (needed for a block instance); a node with ``"$name"`` references stays as given."""
        spec = spec or get_spec(self.type)
        normal = self.params if has_references(self.params) else spec.normalize(self.params)
        params = {
            k: v for k, v in normal.items()
            if spec.param(k) is None or spec.param(k).required or spec.param(k).key
            or v != spec.param(k).default
        }
        return {
            "id": self.id,
            "type": self.type,
            "params": dict(sorted(params.items())),
            "pos": [_round(self.pos[0]), _round(self.pos[1])],
        }

    @classmethod
    def from_dict(cls, raw: Any, path: str, scope=None) -> Node:
        """One node from its file form, validated; raises :class:`GraphError` naming ``path``.

        ``scope`` is the document the node goes into (a ``GraphDocument``): it
        resolves block types and checks ``"$name"`` references; without one only
        the registry's layer types are known.
        """
        if not isinstance(raw, dict):
            raise GraphError([f"{path}: expected an object, got {type(raw).__name__}"])
        node_id, layer_type = raw.get("id"), raw.get("type")
        if not isinstance(node_id, str) or not node_id.strip():
            raise GraphError([f"{path}.id: expected a non-empty string, got {node_id!r}"])
        try:
            check_node_id(node_id)
        except EditError as err:
            raise GraphError([f"{path}.id: {err}"]) from None
        if not isinstance(layer_type, str) or not (has_spec(layer_type) if scope is None
                                                   else scope.has_type(layer_type)):
            blocks = sorted(scope.library.blocks) if scope is not None else []
            known = f" or block {layer_type!r} (blocks: {', '.join(blocks)})" if blocks else f" {layer_type!r}"
            raise GraphError([f"{path}.type: unknown layer type{known}"])
        try:
            if scope is None:
                params = get_spec(layer_type).validate_params(raw.get("params", {}), f"{path}.params", strict=True)
            else:
                params = scope.validate_node_params(layer_type, raw.get("params", {}), f"{path}.params",
                                                    strict=True, node_id=node_id)
        except ParamError as err:
            raise GraphError([str(err)]) from None
        pos = raw.get("pos", [0, 0])
        if not (isinstance(pos, list) and len(pos) == 2 and _finite(pos[0]) and _finite(pos[1])):
            raise GraphError([f"{path}.pos: expected [x, y] numbers, got {json.dumps(pos)}"])
        return cls(node_id, layer_type, params, (float(pos[0]), float(pos[1])))


@dataclass(frozen=True, order=True, slots=True)
class Edge:
    """A wire from an output port of ``source`` to an input port of ``target``."""

    source: str
    target: str
    source_port: int = 0
    target_port: int = 0

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"source": self.source, "target": self.target}
        if self.source_port:
            out["source_port"] = self.source_port
        if self.target_port:
            out["target_port"] = self.target_port
        return out

    @classmethod
    def from_dict(cls, raw: Any, path: str) -> Edge:
        if type(raw) is dict:  # the usual, well-formed edge, checked in one expression
            source, target = raw.get("source"), raw.get("target")
            source_port, target_port = raw.get("source_port", 0), raw.get("target_port", 0)
            if (type(source) is str and type(target) is str and type(source_port) is int
                    and type(target_port) is int and 0 <= source_port < 1024 and 0 <= target_port < 1024):
                return cls(source, target, source_port, target_port)
        if not isinstance(raw, dict):
            raise GraphError([f"{path}: expected an object, got {type(raw).__name__}"])
        for key in ("source", "target"):
            if not isinstance(raw.get(key), str):
                raise GraphError([f"{path}.{key}: expected a node id, got {raw.get(key)!r}"])
        for key in ("source_port", "target_port"):
            value = raw.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1024:
                raise GraphError([f"{path}.{key}: expected a port number from 0 to 1023, got {value!r}"])
        return cls(raw["source"], raw["target"], raw.get("source_port", 0), raw.get("target_port", 0))

    def renamed(self, old: str, new: str) -> Edge:
        return Edge(new if self.source == old else self.source, new if self.target == old else self.target,
                    self.source_port, self.target_port)


class ChangeKind(StrEnum):
    """What a :class:`Change` is about (a ``str``, so it also compares with text)."""

    NODE_ADDED = "node_added"
    NODE_REMOVED = "node_removed"
    EDGE_ADDED = "edge_added"
    EDGE_REMOVED = "edge_removed"
    PARAMS_CHANGED = "params_changed"
    MOVED = "moved"
    RENAMED = "renamed"  # ids is (old, new)
    META_CHANGED = "meta_changed"  # name, training or meta
    RESET = "reset"  # everything changed
    BLOCKS_CHANGED = "blocks_changed"  # ids: blocks defined, removed, renamed, or edited inside (see ``inner``)


#: Changes after which the wiring (order, edges by node) must be looked at again.
STRUCTURAL = frozenset({ChangeKind.NODE_ADDED, ChangeKind.NODE_REMOVED, ChangeKind.EDGE_ADDED,
                        ChangeKind.EDGE_REMOVED, ChangeKind.RENAMED, ChangeKind.RESET})


@dataclass(frozen=True)
class Change:
    """What changed, so a view can update just that."""

    kind: ChangeKind
    ids: tuple[str, ...] = ()
    edge: Edge | None = None
    inner: Change | None = None  # for BLOCKS_CHANGED from an edit inside a definition: that edit


def _plain_copy(value: Any) -> Any:
    """A copy of JSON-plain data: dicts and lists copied all the way down."""
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    return value


def _finite(value: Any) -> bool:
    """A finite JSON number that fits a float (not a bool, which Python counts as an int)."""
    try:
        return type(value) in (int, float) and math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _round(value: float) -> float | int:
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


def check_node_id(node_id: Any) -> str:
    """``node_id`` if it can name a node, else :class:`EditError` saying why.

    An id ends up in files, generated code comments and ``state_dict`` keys, so
    it must be text that survives UTF-8 (no lone surrogates). Anything else is
    allowed: code generation turns any id into a safe Python name.
    """
    if not isinstance(node_id, str) or not node_id.strip():
        raise EditError("a node id must be a non-empty string")
    bad = bad_character(node_id, allowed=CONTROLS)
    if bad is not None:
        raise EditError(f"a node id cannot contain {bad}: {node_id!r}")
    return node_id


#: Every control character: allowed in a node id (code generation makes any id
#: safe), but refused by default in text that is shown.
CONTROLS = "".join(map(chr, range(32))) + "\x7f"


def bad_character(text: str, allowed: str = "\t\n") -> str | None:
    """A description of the first character of ``text`` that cannot be saved
    or shown (a lone surrogate, a control character not in ``allowed``), else None.

    Printable text, nearly every string in a file, is answered by one C-level
    scan; only the rest is looked at character by character.
    """
    if text.isprintable():  # no Cc or Cs character, whatever ``allowed`` is
        return None
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":
            return f"the lone surrogate U+{ord(char):04X}"
        if category == "Cc" and char not in allowed:
            return f"the control character U+{ord(char):04X}"
    return None


_ID_CHARS = re.compile(r"[^0-9A-Za-z_]+")


def sanitize_id(text: str) -> str:
    """A readable id made from ``text``: letters, digits and underscores."""
    base = _ID_CHARS.sub("_", text.strip()).strip("_").lower() or "node"
    return "n_" + base if base[0].isdigit() else base


def fresh_id(base: str, taken) -> str:
    """``base`` itself if not in ``taken``, else ``base_2``, ``base_3``…"""
    if base not in taken:
        return base
    stem = re.sub(r"_\d+$", "", base) or base
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"
