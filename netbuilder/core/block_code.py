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

from dataclasses import dataclass, field
from typing import Any

from .blockparams import reference
from .pysource import Expr, Namespace


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
