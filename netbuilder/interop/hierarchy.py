"""Importing a module as blocks: each user submodule's ``forward`` is traced on its own.

The flat importer lets torch.fx trace through every user module, so a ResNet-18
arrives as 60+ layers. Here every submodule call stays whole (:class:`_LeafTracer`)
and each module that is not a netbuilder layer is imported by itself, on the
very tensors it received when the whole model ran once (:func:`_first_calls`):
one :class:`Level` per module instance, from the leaves up. A user class, or an
``nn.Sequential``, then becomes an instance node in its parent's level, and
:mod:`.block_definitions` turns levels of the same structure into one block
definition. Ids inside a level are its own submodule names, so the paths of the
blocks are the module paths and the ``state_dict`` keys stay those of the
original (``layer2.0.conv1.weight``).
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx
from torch import nn

from ..core.errors import NetbuilderError
from ..core.layers import get_spec
from ..core.pysource import class_name_for
from .errors import TraceError, UnsupportedOp
from .mapper import GraphMapper, Planned, _Cascade
from .module_table import spec_for
from .tracing import _SourceTracer, returned_names, trace
from .values import TensorMeta, evaluating, record_values


class _LeafTracer(_SourceTracer):
    """Every submodule call is one ``call_module`` node (the level below is traced on its own),
    except the ``inlined`` ones, which cannot be blocks and are traced through as a flat import does."""

    def __init__(self, inlined: set[nn.Module]):
        super().__init__()
        self.inlined = inlined

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return m not in self.inlined or not is_block(m)


class _Inline(Exception):
    """A submodule cannot be a block (it takes more than tensors): trace its level again, through it."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module


def is_container(module: nn.Module) -> bool:
    """A Sequential (or a subclass that keeps its forward): a chain of its children, ids ``0``, ``1``…"""
    return isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward


def is_block(module: nn.Module) -> bool:
    """Imported as a block of its own: a user class, or a Sequential, that no layer stands for."""
    if spec_for(module) is not None:
        return False
    return is_container(module) or not type(module).__module__.startswith("torch.")


@dataclass(eq=False)
class LevelNode:
    """One node of a level: a layer, an Input or Output, or an instance of another level."""

    id: str
    type: str  # the layer type; for an instance, its class (the block's name is chosen later)
    params: dict[str, Any]
    inputs: list[tuple[str, int]]
    state: str | None = None  # the submodule path (relative to the level) whose weights it holds
    child: Level | None = None


@dataclass(eq=False)
class Level:
    """One module instance's forward as a graph: a block definition in the making."""

    path: str  # ``layer2.0``; "" for the model itself
    module: nn.Module
    nodes: list[LevelNode]
    n_outputs: int
    sequential: bool  # a chain of children called 0, 1, …: a Sequential, or a ModuleList walked in order
    parent_node: LevelNode | None = None  # the instance node that stands for it one level up
    group: Any = None  # the block_definitions.Group it belongs to


@dataclass
class Hierarchy:
    """The levels of one import: the model's own and every block below, leaves first."""

    root: Level
    levels: list[Level]
    unsupported: list[UnsupportedOp] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Calls:
    """What each submodule received and returned when the whole model ran once on the examples."""

    args: dict[nn.Module, tuple] = field(default_factory=dict)  # of its first call
    results: dict[nn.Module, Any] = field(default_factory=dict)  # of modules called exactly once


def _first_calls(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> _Calls:
    """Run the model once, remembering every submodule's arguments and result.

    A level's values are recorded without running its blocks again (their
    results are known), so the import runs the model twice, not once per depth.
    """
    calls, counts = _Calls(), Counter()

    def before(mod, args):
        calls.args.setdefault(mod, args)
        counts[mod] += 1

    def after(mod, args, result):
        calls.results.setdefault(mod, result)

    handles = [hook(m) for m in module.modules() if m is not module
               for hook in (lambda m: m.register_forward_pre_hook(before), lambda m: m.register_forward_hook(after))]
    try:
        with evaluating(module):
            module(*inputs)
    except Exception as err:  # the user's model may raise anything
        shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
        text = str(err).strip() or type(err).__name__
        raise NetbuilderError(f"{type(module).__name__} fails on example input {shapes}: {text}") from err
    finally:
        for handle in handles:
            handle.remove()
    calls.results = {m: result for m, result in calls.results.items() if counts[m] == 1}
    return calls


class _InstanceRole:
    """What the id chooser asks of an instance node: it is neither an Input nor an Output."""

    is_input = is_output = False


@dataclass(eq=False)
class _Instance(Planned):
    """A planned instance of a block: its type is the submodule's class, its spec not in the registry."""

    @property
    def spec(self) -> _InstanceRole:
        return _InstanceRole()


class _LevelMapper(GraphMapper):
    """The flat mapper, except that a block submodule becomes one instance node."""

    def __init__(self, graph_module: fx.GraphModule, values: dict, importer: _Importer, path: str):
        super().__init__(graph_module, values)
        self.importer = importer
        self.path = path
        self.children: dict[Planned, Level] = {}

    def _call_module(self, node: fx.Node) -> None:
        module = self.root.get_submodule(node.target)
        if not is_block(module):
            super()._call_module(node)
            return
        if node.kwargs or not all(isinstance(a, fx.Node) and self.meta(a) is not None for a in node.args):
            raise _Inline(module)  # a block's inputs are tensors; its other arguments would be lost
        if not _tensors(self.values.get(node)):
            raise _Inline(module)  # a block's results are tensors: `out, (h, c) = …` is followed through it
        inputs = [self.port(a) for a in node.args]
        self.calls[node.target] += 1
        if self.calls[node.target] == 2 and next(module.parameters(), None) is not None:
            self.notes.append(f"'{node.target}' is called more than once: each call becomes its own instance with "
                              "a copy of the weights (the same now, trained separately)")
        child = self.importer.level(module, _join(self.path, node.target))
        if child is None:
            raise _Cascade()  # its own problems are reported
        planned = _Instance(type(module).__name__, {}, inputs, [node], state=node.target)
        self.planned.append(planned)
        self.children[planned] = child
        if child.n_outputs == 1:
            self.ports[node] = (planned, 0)
            return
        for user in node.users:  # `a, b = self.block(x)`: each part is one output port
            if user.op == "call_function" and user.target is operator.getitem and isinstance(user.args[1], int):
                self.ports[user] = (planned, user.args[1] % child.n_outputs)
                self.done.add(user)
            else:
                self.refusals[user] = f"uses the {child.n_outputs} results of {node.target} as one value"


def _tensors(value: Any) -> bool:
    """A tensor, or a tuple of tensors: what a block's output ports can carry."""
    if isinstance(value, tuple):
        return bool(value) and all(isinstance(v, TensorMeta) for v in value)
    return isinstance(value, TensorMeta)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _path_in(module: nn.Module, submodule: nn.Module) -> str:
    return next((name for name, m in module.named_modules() if m is submodule), type(submodule).__name__)


class _Importer:
    """Imports one model level by level (see the module docstring)."""

    def __init__(self, model: nn.Module, inputs: tuple[torch.Tensor, ...]):
        self.model = model
        self.calls = _first_calls(model, inputs)
        self.calls.args[model] = inputs
        self.levels: list[Level] = []
        self.unsupported: list[UnsupportedOp] = []
        self.notes: list[str] = []
        self._seen_problems: set[tuple[str, str, Any]] = set()
        self.inlined: set[nn.Module] = set()

    def level(self, module: nn.Module, path: str) -> Level | None:
        """Trace, record and map ``module``; None (its problems recorded) when it cannot be imported.

        A submodule found to take more than tensors is traced through, and the level
        done again from the start (what the first try found is forgotten).
        """
        while True:
            done = len(self.levels), len(self.unsupported), len(self.notes), set(self._seen_problems)
            try:
                return self._level(module, path)
            except _Inline as inline:
                self.inlined.add(inline.module)
                del self.levels[done[0]:], self.unsupported[done[1]:], self.notes[done[2]:]
                self._seen_problems = done[3]
                self.notes.append(f"{_join(path, _path_in(module, inline.module))}: traced through, not a block "
                                  "(it takes or returns more than tensors)")

    def _level(self, module: nn.Module, path: str) -> Level | None:
        from .fx_import import _choose_ids, _drop_unused, _needs_output_nodes  # the flat importer's steps, shared

        args = self.calls.args.get(module)
        if args is None or not all(isinstance(a, torch.Tensor) for a in args):
            self._problem(UnsupportedOp(f"{type(module).__name__} '{path}'", "is not called with tensors only"))
            return None
        try:
            graph_module = trace(module, len(args), _LeafTracer(self.inlined))
        except TraceError as err:
            raise TraceError(f"{path}: {err}" if path else str(err)) from err
        notes, lost = _drop_unused(graph_module)
        self.notes += [f"{path}: {note}" if path else note for note in notes]
        mapper = _LevelMapper(graph_module, record_values(graph_module, args, self.calls.results), self, path)
        mapped = mapper.run()
        self.notes += [f"{path}: {note}" if path else note for note in mapped.notes]
        problems = lost + mapped.unsupported
        for op in problems:
            self._problem(op, path)
        if problems or None in mapped.outputs:  # (a block inside failed: its problems are reported)
            return None
        _choose_ids(mapped.planned, graph_module.graph, class_name_for(type(module).__name__))
        if is_container(module):  # its children are called 0, 1, …: keep those names (and state_dict keys)
            for p in mapped.planned:
                if p.state is not None:
                    p.id = p.state
        names = returned_names(module)
        names = names if len(names) == len(mapped.outputs) else (None,) * len(mapped.outputs)
        with_outputs = bool(path) or _needs_output_nodes(mapped, names)  # a block's outputs are its Output nodes
        nodes = _level_nodes(mapped, mapper.children, names if with_outputs else None)
        for name, container in module.named_children():
            if isinstance(container, nn.ModuleList):
                nodes = self._walked(nodes, name, container, path)
        level = Level(path, module, nodes, len(mapped.outputs), is_container(module))
        for node in level.nodes:
            if node.child is not None:
                node.child.parent_node = node
        self.levels.append(level)
        return level

    def _walked(self, nodes: list[LevelNode], name: str, container: nn.ModuleList, path: str) -> list[LevelNode]:
        """``for block in self.blocks: x = block(x)`` becomes one node ``blocks``, a chain of
        ``0``, ``1``…, as a Sequential would be (same paths, same state_dict keys); any other use
        of a ModuleList keeps one node per call."""
        items = [n for n in nodes if n.state is not None and n.state.partition(".")[0] == name]
        readers: Counter[str] = Counter(source for n in nodes for source, _ in n.inputs)
        chained = (
            [n.state for n in items] == [f"{name}.{i}" for i in range(len(container))]
            and all(n.inputs == [(prev.id, 0)] and readers[prev.id] == 1 for prev, n in zip(items, items[1:]))
            and all(n.child is None or n.child.n_outputs == 1 for n in items)
            and not any(n.id == name for n in nodes)
        )
        first_input = self.calls.args.get(container[0]) if len(container) else None
        if not items or not chained or first_input is None:
            return nodes
        source, last_id = items[0].inputs, items[-1].id
        example = first_input[0]
        shape = {"shape": list(example.shape[1:]), "dtype": str(example.dtype).removeprefix("torch.")}
        inner = [LevelNode("input", "Input", get_spec("Input").validate_params(shape), [])]
        for i, item in enumerate(items):
            item.id, item.state, item.inputs = str(i), str(i), [(inner[-1].id, 0)]
            inner.append(item)
        inner.append(LevelNode("output", "Output", {}, [(inner[-1].id, 0)]))
        walked = Level(_join(path, name), container, inner, 1, True)
        for item in items:
            if item.child is not None:
                item.child.parent_node = item
        self.levels.append(walked)
        whole = LevelNode(name, type(container).__name__, {}, source, name, walked)
        result = []
        for node in nodes:
            if node is items[0]:
                result.append(whole)
            elif node not in items:
                node.inputs = [(name, 0) if (src, port) == (last_id, 0) else (src, port) for src, port in node.inputs]
                result.append(node)
        return result

    def _problem(self, op: UnsupportedOp, path: str = "") -> None:
        """Each problem once, however many instances of a block share it (``in layer2.0``)."""
        key = (op.what, op.reason, op.source)
        if key in self._seen_problems:
            return
        self._seen_problems.add(key)
        self.unsupported.append(UnsupportedOp(f"{op.what} in {path}" if path else op.what, op.reason, op.source))


def _level_nodes(mapped, children: dict[Planned, Level], output_names: tuple | None) -> list[LevelNode]:
    """The level's nodes in order, each wired by id; Output nodes named as forward returns them
    (none when ``output_names`` is None: the model returns the nodes nothing reads)."""
    returned = [p for p, _ in mapped.outputs]
    order = mapped.planned if output_names else [p for p in mapped.planned if p not in returned] + returned
    nodes = []
    for p in order:
        nodes.append(LevelNode(p.id, p.layer, dict(p.params), [(source.id, port) for source, port in p.inputs],
                               p.state, children.get(p)))
    taken = {n.id for n in nodes}
    for (source, port), wanted in zip(mapped.outputs, output_names or ()):
        node_id = wanted or "output"
        n = 2
        while node_id in taken:
            node_id, n = f"{wanted or 'output'}_{n}", n + 1
        taken.add(node_id)
        nodes.append(LevelNode(node_id, "Output", {}, [(source.id, port)]))
    return nodes


def import_levels(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> Hierarchy:
    """Every level of ``model``, leaves first; ``unsupported`` lists what stopped any of them."""
    importer = _Importer(model, inputs)
    root = importer.level(model, "")
    return Hierarchy(root, importer.levels, importer.unsupported, importer.notes)

