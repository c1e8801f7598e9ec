"""From imported levels to block definitions: what is the same is shared, what differs is a parameter.

Two instances of one class share a definition when their graphs have the same
nodes, wiring and non-numeric settings; numbers, flags and words that differ
between them (``out_channels`` 64 in ``layer1.0``, 128 in ``layer2.1``) become
the definition's declared parameters, referenced as ``"$channels"`` by the
inner nodes. Instances whose structure differs (a ``BasicBlock`` with a
downsample branch and one without) get definitions of their own, named
``BasicBlock``, ``BasicBlock_2``… in the order the model first uses them.

A Sequential whose children are copies of one block with the same parameters
is that block repeated (``layer1``: ``BasicBlock × 2``); any other Sequential
is a definition whose nodes are called ``0``, ``1``… like its children, so the
paths of the whole model, and its ``state_dict`` keys, are the original's.
"""

from __future__ import annotations

import json
import keyword
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ..core.block_docstring import BlockDocstring
from ..core.errors import EditError
from ..core.layers import get_spec, has_spec
from ..core.library import check_block_name
from .block_source import ClassDeclares, class_declares, node_field
from .hierarchy import Hierarchy, Level, LevelNode

FORMAT_VERSION = 2
_PORTS = ("Input", "Output")
_RENAMED = {"out_channels": "channels", "out_features": "features"}  # what a block's parameter is called
_MAX_PATHS = 3  # instance paths a definition's doc lists
_NOT_NAMES = {"repeat", "self"}  # an instance's own parameter, and the module itself


@dataclass(eq=False)
class Group:
    """Levels that share one definition (or one repeated block, see ``repeat_of``)."""

    levels: list[Level]
    name: str = ""
    parameters: dict[str, dict] = field(default_factory=dict)
    refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (node id, param) → parameter name
    repeat_of: Group | None = None  # a Sequential of equal copies of that block
    repeat: int = 0

    @property
    def first(self) -> Level:
        return self.levels[0]


def _kind(value: Any) -> str | None:
    """The parameter kind a value can be declared as, or None for lists, None and the like."""
    for python, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if isinstance(value, python):
            return kind
    return None


def _inner(level: Level) -> list[LevelNode]:
    return [n for n in level.nodes if n.type not in _PORTS]


def _class_of(level: Level) -> type:
    """A ModuleList walked in order is imported as the Sequential it amounts to."""
    return nn.Sequential if isinstance(level.module, nn.ModuleList) else type(level.module)


def _signature(level: Level) -> tuple:
    """What two levels must share to be one definition: everything but declarable values."""
    items = []
    for node in level.nodes:
        if node.child is not None:
            items.append((node.id, id(node.child.group), tuple(node.inputs)))
            continue
        params = tuple((k, _kind(v) or json.dumps(v, sort_keys=True)) for k, v in sorted(node.params.items())
                       if not (node.type == "Input" and k == "shape"))  # an Input's shape is only an example
        items.append((node.id, node.type, tuple(node.inputs), params))
    cls = _class_of(level)
    return cls.__module__, cls.__qualname__, tuple(items)


def _fields(level: Level) -> dict[tuple[str, str], Any]:
    """Every declarable value of the level's inner nodes, by (node id, param)."""
    return {(node.id, k): v for node in _inner(level) for k, v in node.params.items() if _kind(v)}


def _repeated(level: Level) -> LevelNode | None:
    """The first child if the level is a Sequential chain of ≥ 2 equal copies of one block."""
    inner = _inner(level)
    if not level.sequential or len(inner) < 2 or any(n.child is None for n in inner):
        return None
    group = inner[0].child.group
    chained = all(n.inputs == [(prev.id, 0)] for prev, n in zip(inner, inner[1:]))
    single = group.first.n_outputs == 1 and sum(n.type == "Input" for n in group.first.nodes) == 1
    same = all(n.child.group is group and n.params == inner[0].params for n in inner)
    return inner[0] if chained and single and same and group.repeat_of is None else None


def _parameter_name(fields: list[tuple[str, str]], taken: set[str]) -> str:
    """``channels`` for out_channels, else the first field's own name; ``conv1_stride``
    (``out_channels_2`` inside a Sequential) if that is taken."""
    node_id, param = fields[0]
    names = {_RENAMED.get(p, p) for _, p in fields}
    wanted = names.pop() if len(names) == 1 else _RENAMED.get(param, param)
    by_node = f"{node_id}_{param}" if node_id.isidentifier() else f"{param}_{node_id}"
    taken = taken | _NOT_NAMES
    for candidate in (wanted, param, by_node):
        if candidate not in taken:
            return candidate
    n = 2
    while f"{wanted}_{n}" in taken:
        n += 1
    return f"{wanted}_{n}"


def _finish(group: Group) -> None:
    """Decide the group's parameters (or its repeat) and give each instance node its values:
    first those its class declares (:mod:`.block_source`), then values that differ between instances."""
    if all(_repeated(level) is not None for level in group.levels):
        first = _repeated(group.first)
        group.repeat_of, group.repeat = first.child.group, len(_inner(group.first))
        for level in group.levels:
            level.parent_node.params = {**_repeated(level).params, "repeat": group.repeat}
        return
    declared = _declared(group)
    fields = [_fields(level) for level in group.levels]
    vectors: dict[str, list[tuple[str, str]]] = {}
    for key in fields[0]:
        values = [json.dumps(f[key]) for f in fields]
        if len(set(values)) > 1 and key not in group.refs:
            vectors.setdefault("|".join(values), []).append(key)
    followed = {"|".join(json.dumps(declared[id(level)][name]) for level in group.levels): name
                for name in group.parameters}
    for vector, same in vectors.items():
        if vector in followed:  # varies as a declared parameter does: it is that parameter
            group.refs.update({key: followed[vector] for key in same})
            continue
        name = _parameter_name(same, set(group.parameters))
        group.parameters[name] = {"kind": _kind(fields[0][same[0]]), "default": fields[0][same[0]]}
        group.refs.update({key: name for key in same})
        for level, values in zip(group.levels, fields):
            declared.setdefault(id(level), {})[name] = values[same[0]]
    for level in group.levels:
        if level.parent_node is not None:
            level.parent_node.params = declared.get(id(level), {})


def _declared(group: Group) -> dict[int, dict[str, Any]]:
    """The parameters ``group``'s class declares and passes on to its nodes (recorded on the
    group), and each level's values of them, by ``id(level)``."""
    declares = _declares(group)
    values: dict[int, dict[str, Any]] = {id(level): {} for level in group.levels}
    for name, default in declares.defaults.items():
        found = []
        for level in group.levels:
            by_attr = {n.state: n for n in _inner(level) if n.child is None and n.state is not None}
            nodes = [(by_attr[attr], key) for attr, key in declares.fields.get(name, ())
                     if attr in by_attr and node_field(by_attr[attr].type, key)]
            seen = {json.dumps(_field_value(node, key)) for node, key in nodes}
            if len(seen) != 1 or _kind(_field_value(*nodes[0])) != _kind(default):
                break  # not passed on to a node, to ones that disagree or hold another kind: not one to keep
            found.append((level, nodes))
        else:
            raw = {"kind": _kind(default), "default": default, **declares.docstring.parameters.get(name, {})}
            group.parameters[name] = raw
            group.refs.update({(node.id, key): name for node, key in found[0][1]})
            for level, nodes in found:
                values[id(level)][name] = _field_value(*nodes[0])
    return values


def _declares(group: Group) -> ClassDeclares:
    cls = _class_of(group.first)
    return class_declares(cls) if not cls.__module__.startswith("torch.") else ClassDeclares(BlockDocstring())


def _field_value(node: LevelNode, key: str) -> Any:
    if key in node.params:
        return node.params[key]
    return next(p.default for p in get_spec(node.type).params if p.name == key)


def _name(group: Group, taken: set[str]) -> str:
    """The class name (``Sequential`` for nn.Sequential itself), numbered from the second one on;
    made a block name if it is none (``_Up`` → ``Up``, ``Linear`` → ``LinearBlock``)."""
    cls = _class_of(group.first)
    base = "Sequential" if cls is nn.Sequential else cls.__name__
    try:
        check_block_name(base)
    except EditError:
        base = "".join(c for c in base if c.isascii() and (c.isalnum() or c == "_")).lstrip("0123456789_")
        base = base[:1].upper() + base[1:] if base else "Imported"
        base = base + "Block" if has_spec(base) or keyword.iskeyword(base) else base
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def group_levels(hierarchy: Hierarchy) -> list[Group]:
    """Group every level below the model's own, finish the groups leaves first, and name them."""
    groups: dict[tuple, Group] = {}
    for level in hierarchy.levels:
        if level is hierarchy.root:
            continue
        key = _signature(level)
        level.group = groups.setdefault(key, Group([]))
        level.group.levels.append(level)
    ordered = list(groups.values())  # leaves first: a level is listed after every level inside it
    for group in ordered:
        _finish(group)
    taken = {type(hierarchy.root.module).__name__}
    for group in ordered:
        if group.repeat_of is None:
            group.name = _name(group, taken)
            taken.add(group.name)
    return ordered


def _type_of(node: LevelNode) -> str:
    if node.child is None:
        return node.type
    group = node.child.group
    return (group.repeat_of or group).name


def _graph(level: Level, refs: dict[tuple[str, str], str], ports: BlockDocstring | None = None) -> dict[str, list]:
    """The file form of a level's nodes and edges; ``ports`` gives Input example shapes and Output ids."""
    nodes, edges = [], []
    outputs = _output_ids(level, ports.outputs if ports else [])
    for node in level.nodes:
        params = dict(node.params)
        params.update({k: f"${name}" for (node_id, k), name in refs.items() if node_id == node.id})
        if ports and node.type == "Input" and node.id in ports.inputs:
            params = ports.inputs[node.id]
        nodes.append({"id": outputs.get(node.id, node.id), "type": _type_of(node), "params": params})
        for target_port, (source, source_port) in enumerate(node.inputs):
            edges.append({"source": source, "target": outputs.get(node.id, node.id), "source_port": source_port,
                          "target_port": target_port})
    return {"nodes": nodes, "edges": edges}


def _output_ids(level: Level, wanted: list[str]) -> dict[str, str]:
    """Output node id → the one the class's docstring names (when it names each one, each new)."""
    outputs = [n.id for n in level.nodes if n.type == "Output"]
    others = {n.id for n in level.nodes if n.type != "Output"}
    if len(wanted) != len(outputs) or len(set(wanted)) != len(wanted) or others & set(wanted):
        return {}
    return dict(zip(outputs, wanted))


def _doc_text(group: Group) -> str:
    cls = _class_of(group.first)
    if not cls.__module__.startswith("torch.") and cls.__dict__.get("__doc__"):
        return _declares(group).docstring.summary  # the class's own words (none for "The block X.")
    paths = [level.path for level in group.levels]
    shown = ", ".join(paths[:_MAX_PATHS]) + (", …" if len(paths) > _MAX_PATHS else "")
    return f"Imported from {_class_of(group.first).__qualname__} ({shown})."


def file_form(hierarchy: Hierarchy, name: str) -> dict:
    """The imported model as a graph file's contents (format version 2, with its ``blocks``)."""
    groups = group_levels(hierarchy)
    blocks = {}
    for group in groups:
        if group.repeat_of is None:
            blocks[group.name] = {"doc": _doc_text(group), "parameters": group.parameters,
                                  **_graph(group.first, group.refs, _declares(group).docstring)}
    return {"format": "netbuilder.graph", "version": FORMAT_VERSION, "name": name,
            **_graph(hierarchy.root, {}), "blocks": blocks}
