"""One class for many uses: a block's constructor arguments, found from how it is used.

Every use of a block definition (an instance, or one copy of a repeated one)
makes its inner modules with concrete arguments. The class written for the
block must make each of them from its own constructor arguments, as a
hand-written ``BasicBlock(in_channels, channels, stride=1)`` does. For each
argument of each inner call this module decides, over all uses:

- a value set by ``"$name"`` in the definition is the declared parameter
  (``out_channels=channels``);
- a value inferred from the input (``in_channels``, ``num_features``) that
  equals a declared parameter in every use is that parameter
  (``num_features=channels``);
- a value equal in every use is a constant (``kernel_size=3``);
- a value that varies as a declared parameter does, in every use, is that parameter;
- anything else (``in_channels``, inferred from what feeds the block) becomes
  an extra constructor argument, shared by every call that needs the same
  values in every use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .blockparams import has_references, reference, resolve
from .document import GraphDocument
from .layers import Construct
from .library import BlockSpec, sequence_of
from .pysource import Expr, Namespace, render
from .report import NodeInfo, ShapeReport

_SEQUENTIAL = re.compile(r"Sequential(_[0-9]+)?")


@dataclass
class BlockClass:
    """The class written for a block (or one variant of it)."""

    name: str
    block: str
    arg_of: dict[str, str]  # declared parameter → its constructor argument
    defaults: dict[str, Any]  # declared parameter → default
    extra: list[str] = field(default_factory=list)  # arguments without a default, in order
    extra_values: dict[int, dict[str, Any]] = field(default_factory=dict)  # id(use) → their values
    names: Namespace = field(default_factory=Namespace, repr=False)  # every argument's name is claimed here

    def call_kwargs(self, use_key: int, args: dict[str, Any]) -> dict[str, Any]:
        """Constructor keyword arguments for one use: extra ones, then every declared one."""
        kwargs = dict(self.extra_values.get(use_key, {}))
        kwargs.update({self.arg_of[p]: args[p] for p in self.arg_of})
        return kwargs

    def signature(self, render) -> str:
        defaults = [f"{self.arg_of[p]}={render(v)}" for p, v in self.defaults.items()]
        return ", ".join(["self", *self.extra, *defaults])


@dataclass
class Call:
    """One constructor call of an inner node in one use: keyword arguments, and
    which node parameter each argument comes from (for ``"$name"`` references)."""

    kwargs: dict[str, Any]
    source_param: dict[str, str] = field(default_factory=dict)  # kwarg → the node parameter setting it
    defaults: dict[str, Any] = field(default_factory=dict)  # kwarg → value when a use leaves it out


def _same(a: Any, b: Any) -> bool:
    norm = (lambda v: tuple(v) if isinstance(v, list) else v)
    return norm(a) == norm(b) and type(norm(a)) is type(norm(b))


def new_class(name: str, block: str, declared: dict[str, Any]) -> BlockClass:
    """A class for ``block`` whose declared parameters (name → default) get legal argument names."""
    names = Namespace()
    arg_of = {p: names.claim(p) for p in declared}
    return BlockClass(name, block, arg_of, dict(declared), names=names)


def abstract(cls: BlockClass, uses: list[tuple[int, dict[str, Any], dict[str, Any], list[Call]]]) -> list[dict]:
    """The keyword arguments of one inner call, written in terms of ``cls``'s arguments.

    ``uses``: per use, (its key, its declared-parameter values, the inner node's
    params, its :class:`Call`). Records extra arguments on ``cls``; returns one
    dict for the call (values are constants or :class:`Expr` argument names).
    """
    first = uses[0][3]
    referred = [key for key in first.defaults if reference(uses[0][2].get(first.source_param.get(key, key)))]
    keys = list(dict.fromkeys([*(k for _, _, _, call in uses for k in call.kwargs), *referred]))
    out: dict[str, Any] = {}
    for key in keys:
        values = [call.kwargs.get(key, call.defaults.get(key)) for _, _, _, call in uses]
        source = first.source_param.get(key, key)
        name = reference(uses[0][2].get(source))
        inferred = key not in first.defaults and key not in first.source_param  # in_channels, embed_dim…
        if name is not None and all(_same(v, args.get(name)) for v, (_, args, _, _) in zip(values, uses)):
            out[key] = Expr(cls.arg_of[name])
        elif inferred and (found := _declared_equal(cls, values, uses)) is not None:
            out[key] = Expr(cls.arg_of[found])
        elif all(_same(v, values[0]) for v in values):
            if any(key in call.kwargs for _, _, _, call in uses):
                out[key] = values[0]
        elif (found := _declared_equal(cls, values, uses)) is not None:
            out[key] = Expr(cls.arg_of[found])
        else:
            out[key] = Expr(_extra(cls, key, [(use_key, v) for (use_key, _, _, _), v in zip(uses, values)]))
    return out


def _declared_equal(cls: BlockClass, values: list, uses) -> str | None:
    """A declared parameter equal to ``values`` in every use (``num_features`` following
    ``channels``): values that vary with it in every use are taken to be it."""
    for name in cls.arg_of:
        if all(_same(v, args.get(name)) for v, (_, args, _, _) in zip(values, uses)):
            return name
    return None


def _extra(cls: BlockClass, key: str, values: list[tuple[int, Any]]) -> str:
    """The extra argument taking ``values`` (one per use), shared when another call needs the same."""
    for arg in cls.extra:
        if all(_same(cls.extra_values[use].get(arg), v) for use, v in values):
            return arg
    arg = cls.names.claim(key)
    cls.extra.append(arg)
    for use, value in values:
        cls.extra_values.setdefault(use, {})[arg] = tuple(value) if isinstance(value, list) else value
    return arg


# -- what each node makes, over every use of its class ------------------------------
@dataclass
class Use:
    """One use of a class's graph: what inference found for its nodes there.

    The model's own class has one use; a block's class one per instance (or
    copy of a repeated instance) that has its own arguments or input types.
    """

    key: int  # id() of the block evaluation; 0 for the model itself
    infos: dict[str, NodeInfo]
    order: list[str]
    inputs: list[str]  # the Input ids forward() takes, in order
    outputs: list[str]  # the ids whose values it returns
    args: dict[str, Any]  # the declared parameters' values
    params: dict[str, dict]  # node id → its params, "$name" references replaced by ``args``


def use_of(doc: GraphDocument, key: int, infos, order, inputs, outputs, args) -> Use:
    params = {}
    for node_id in order:
        node = doc.nodes[node_id]
        params[node_id] = (doc.spec_for(node.type).validate_params(resolve(node.params, args))
                           if has_references(node.params) else node.params)
    return Use(key, infos, list(order), list(inputs), list(outputs), dict(args), params)


def made(doc: GraphDocument, use: Use, node_id: str, classes: dict[int, BlockClass],
          through: dict | None = None) -> tuple:
    """What ``node_id`` makes in ``use``, as a tree of plain tuples:

    - ``("layer", spec, Call, params)``: a layer's state;
    - ``("copies", repeated, [copy…])``: a block instance, each copy either
      ``("block", class name, Call, params)`` or, for a sequence block (see
      :func:`~netbuilder.core.library.sequence_of`), ``("seq", [tree…], class)``.

    ``params`` are the node's own, whose ``"$name"`` references become the class's
    arguments; inside a sequence block, which has no class of its own, they are seen
    ``through`` the sequence instance's params (so ``"$stride"`` there is the
    enclosing class's ``stride`` when the instance passes ``"$stride"`` on).
    """
    node = doc.nodes[node_id]
    spec = doc.spec_for(node.type)
    info = use.infos[node_id]
    params = node.params if through is None else resolve(node.params, through)
    if not isinstance(spec, BlockSpec):
        torch_defaults = {p.name: p.default for p in spec.params if p.torch}
        return "layer", spec, Call(dict(info.kwargs), {}, torch_defaults), params
    definition = doc.library.blocks[spec.block]
    chain = sequence_of(definition)
    seen = {p: params.get(p, declared.default) for p, declared in definition.parameters.items()}
    copies = []
    for copy in info.block.copies:
        if chain is not None:
            inner = use_of(definition, id(copy), copy.infos, copy.order, copy.inputs, copy.outputs, copy.args)
            copies.append(("seq", [made(definition, inner, n, classes, seen) for n in chain],
                           sequence_class(spec.block)))
        else:
            cls = classes[id(copy)]
            call = Call(cls.call_kwargs(id(copy), copy.args), {arg: p for p, arg in cls.arg_of.items()})
            copies.append(("block", cls.name, call, params))
    return "copies", info.block.repeated, copies


def sequence_class(block: str) -> str:
    """The class a sequence block is made as: ``nn.Sequential`` for one the importer named
    after it (``Sequential``, ``Sequential_2``), else its own subclass of it (``class Stem(nn.Sequential)``)."""
    return "nn.Sequential" if _SEQUENTIAL.fullmatch(block) else block


def structure(tree: tuple):
    """The part of a :func:`made` tree that constructor arguments cannot vary."""
    kind = tree[0]
    if kind == "layer":
        spec, call = tree[1], tree[2]
        return kind, spec.type, render(spec.state(call.kwargs)) if spec.creates is not None else None
    if kind == "block":
        return kind, tree[1]
    if kind == "seq":
        return kind, tuple(map(structure, tree[1])), tree[2]
    return kind, tree[1], tuple(map(structure, tree[2]))


def build(cls: BlockClass, uses: list[Use], trees: list[tuple]):
    """The state one :func:`made` tree stands for, over every use (one tree each), in
    terms of ``cls``'s constructor arguments."""
    first = trees[0]
    kind = first[0]
    if kind in ("layer", "block"):
        if kind == "layer" and first[1].creates is not None:  # equal in every use (see _variant)
            return first[1].state(first[2].kwargs)
        kwargs = abstract(cls, [(u.key, u.args, t[3], t[2]) for u, t in zip(uses, trees)])
        return first[1].state(kwargs) if kind == "layer" else Construct(first[1], kwargs=kwargs)
    if kind == "seq":
        return Construct(first[2], tuple(build(cls, uses, [t[1][i] for t in trees]) for i in range(len(first[1]))))
    repeated, copies = first[1], first[2]
    built = [build(cls, uses, [t[2][k] for t in trees]) for k in range(len(copies))]
    if not repeated:
        return built[0]
    if all(render(c) == render(built[0]) for c in built):
        return Expr(f"nn.Sequential(*[{render(built[0])} for _ in range({len(built)})])")
    return Construct("nn.Sequential", tuple(built))


def state_of(doc: GraphDocument, cls: BlockClass, uses: list[Use], node_id: str,
           classes: dict[int, BlockClass]):
    """What ``self.<node> = …`` makes, written in terms of ``cls``'s constructor arguments."""
    if not doc.spec_for(doc.nodes[node_id].type).has_state:
        return None
    return build(cls, uses, [made(doc, use, node_id, classes) for use in uses])


def uses_by_block(report: ShapeReport) -> dict[str, list]:
    """Every evaluation of every block the model uses (each once), by block."""
    found: dict[str, list] = {}

    def collect(infos: dict[str, NodeInfo]) -> None:
        for info in infos.values():
            if info.used and info.block is not None:
                for copy in info.block.copies:
                    same = found.setdefault(copy.block, [])
                    if all(c is not copy for c in same):
                        same.append(copy)
                        collect(copy.infos)

    collect(report.nodes)
    return found


def innermost_first(doc: GraphDocument, names) -> list[str]:
    library, order = doc.library, []

    def visit(name: str) -> None:
        if name in order:
            return
        for node in library.blocks[name].nodes.values():
            if node.type in library.blocks:
                visit(node.type)
        order.append(name)

    for name in names:
        visit(name)
    return order


def fresh_class_name(name: str, taken: set[str]) -> str:
    stem, n = name, 2
    while name in taken:
        name = f"{stem}_{n}"
        n += 1
    return name
