"""The declarative description of a layer type.

A :class:`LayerSpec` is data plus small pure functions, in the spirit of Keras'
``compute_output_shape`` and Netron's metadata: the palette, inspector, shape
inference, compiler and code exporter all read the same spec, so adding a layer
is one ``register(LayerSpec(...))`` call in the module of its category.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import ParamError
from ..params import ParamSpec

Shape = tuple[int, ...]  # a tensor shape without the batch dimension


class Role(StrEnum):
    """What a node is to the model around it."""

    LAYER = "layer"  # computes something from its inputs
    INPUT = "input"  # an argument of ``forward``
    OUTPUT = "output"  # a value ``forward`` returns; feeds nothing


class TokenIds(StrEnum):
    """How a layer treats int64 token ids arriving on its inputs."""

    REFUSED = "refused"  # arithmetic on ids is a mistake: "put an Embedding before it"
    PASSED = "passed"  # rearranges values without computing with them (Flatten, Concat)
    REQUIRED = "required"  # looks ids up (Embedding): float input is the mistake


@dataclass(frozen=True)
class TensorType:
    """What flows along an edge: shape without batch, and dtype name."""

    shape: Shape
    dtype: str = "float32"

    def text(self) -> str:
        return "(" + ", ".join(["N", *map(str, self.shape)]) + ")"


@dataclass(frozen=True)
class Construct:
    """A constructor call in generated code: ``func(*args, **kwargs)``.

    What a node adds to the model is described once, as data: the code
    generator renders it (``nn.Linear(in_features=8, out_features=4)``) and the
    shape oracle evaluates the very same call on the meta device. ``func`` is
    a dotted name under ``torch`` or ``nn``, the two names generated code
    imports; an argument may itself be a :class:`Construct`.
    """

    func: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Emit:
    """What an emitter needs to write the forward statements of one node.

    ``ins`` are the variable names of the inputs, ``outs`` the names to assign
    (``_`` for an output nobody reads), ``mod`` the expression of what the node
    created (``self.conv1``), ``params`` the node's full parameter dict and
    ``batch`` an expression for the batch size, which a node without inputs
    needs to give every sample its value (``image.shape[0]``). ``types`` are
    the inputs' types, for a statement that spells out their rank.
    """

    ins: tuple[str, ...]
    outs: tuple[str, ...]
    mod: str
    params: dict[str, Any]
    batch: str
    types: tuple[TensorType, ...] = ()


def call_module(e: Emit) -> list[str]:
    """The usual forward statement: ``out = self.layer(x)``."""
    return [f"{e.outs[0]} = {e.mod}({e.ins[0]})"]


def no_parameters(kwargs: dict[str, Any]) -> int:
    """``count_params`` of a layer that learns nothing."""
    return 0


def as_given(params: dict[str, Any]) -> dict[str, Any]:
    """The usual normal form: every value means something of its own."""
    return params


@dataclass(frozen=True)
class LayerSpec:
    """A layer type.

    - ``torch_class``: the ``torch.nn`` class it builds, or ``None`` for nodes
      that are plain expressions (Add, Reshape) or graph boundaries.
    - ``creates(kwargs)``: for a node that holds state other than a module,
      the :class:`Construct` making it (``nn.Parameter(torch.zeros(8))``); see
      :meth:`state`. Nothing downstream asks what kind of state it is.
    - ``ranks``: accepted input ranks *including* the batch dim, checked before
      anything runs so messages can be precise; ``expects`` names the layout
      in words (``(N, C, H, W)``) and ``hint`` suggests a fix.
    - ``infer_args(params, inputs)``: torch keyword arguments that follow from
      the incoming tensors (``in_features``); never stored in the file.
    - ``fixed_args``: constant keyword arguments netbuilder always passes
      (``batch_first=True``), written after the user's parameters.
    - ``emit``: forward statements (see :class:`Emit`).
    - ``rule(params, inputs)``: optional fast shape rule returning output
      types; without it torch itself computes the shape on the meta device.
    - ``warn(params, inputs)``: optional; returns warning texts for things
      torch allows but that are usually mistakes.
    - ``count_params(kwargs)``: the module's parameter count from its
      constructor arguments, for a layer with a ``rule`` whose constructor
      checks nothing that its params and ``rule`` leave to it: the oracle then
      builds no module at all (each build costs a tenth of a millisecond, most
      of a cold inference of a big graph). ``None``: the module is built on the
      meta device and counted. The agreement tests hold both to real torch.
    - ``macs(params, inputs, outputs, module)``: optional estimate of the
      multiply-adds of one sample (``module`` is ``None`` when not built);
      without it every weight matrix of the module is assumed to be applied
      once per position of the output, and a layer counted without a module
      has none.
    - ``ports(params)``: for a layer whose number of outputs follows from its
      parameters (a ``chunk`` into 3 pieces has 3 ports), how many of
      ``outputs`` it has; see :meth:`output_names`.
    - ``role``: :class:`Role`; ``token_ids``: :class:`TokenIds`. Code that
      needs to know whether a node is an Input asks these, never the type name.
    - ``vocabulary``: for a layer that looks ids up, the parameter saying how
      many ids it knows (ids run from 0 to it − 1); see :mod:`netbuilder.core.tokens`.
    - ``normalize(params)``: ``params`` (unchanged in place) with values
      that build the same module written one way (a pool's stride equal to
      its kernel size is stored empty, as torch cannot tell them apart), so
      such documents save, compare and import the same.
    """

    type: str
    category: str
    doc: str
    params: tuple[ParamSpec, ...] = ()
    torch_class: str | None = None
    min_inputs: int = 1
    max_inputs: int | None = 1
    outputs: tuple[str, ...] = ("out",)
    ranks: tuple[int, ...] | None = None
    expects: str = ""
    hint: str = ""
    infer_args: Callable[[dict, list[TensorType]], dict] | None = None
    fixed_args: tuple[tuple[str, Any], ...] = ()
    creates: Callable[[dict[str, Any]], Construct] | None = None
    emit: Callable[[Emit], list[str]] = call_module
    rule: Callable[[dict, list[TensorType]], list[TensorType]] | None = None
    warn: Callable[[dict, list[TensorType]], list[str]] | None = None
    count_params: Callable[[dict[str, Any]], int] | None = None
    macs: Callable[[dict, list[TensorType], list[TensorType], Any], int] | None = None
    input_names: tuple[str, ...] = ()
    normalize: Callable[[dict[str, Any]], dict[str, Any]] = as_given
    role: Role = Role.LAYER
    token_ids: TokenIds = TokenIds.REFUSED
    vocabulary: str | None = None
    ports: Callable[[dict[str, Any]], int] | None = None
    _by_name: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._by_name.update({p.name: p for p in self.params})
        if self.vocabulary is not None and self.vocabulary not in self._by_name:
            raise ValueError(f"{self.type}: vocabulary names no parameter ({self.vocabulary!r})")

    def param(self, name: str) -> ParamSpec | None:
        return self._by_name.get(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate_params(self, params: dict[str, Any], path: str = "params", strict: bool = False) -> dict[str, Any]:
        """Full, normalised params: defaults filled in, unknown names refused,
        then :attr:`normalize` applied.

        ``strict`` (files) refuses a missing required parameter instead of
        taking its default: a file without ``out_features`` is a mistake, not
        a silent 10. Raises :class:`ParamError` whose field is ``path.name``.
        """
        if not isinstance(params, dict):
            raise ParamError(path, f"expected an object, got {type(params).__name__}")
        unknown = sorted(set(params) - set(self._by_name))
        if unknown:
            known = ", ".join(p.name for p in self.params) or "none"
            raise ParamError(
                f"{path}.{unknown[0]}", f"{self.type} has no parameter {unknown[0]!r} (known: {known})"
            )
        clean = {}
        for spec in self.params:
            if spec.name in params:
                try:
                    clean[spec.name] = spec.validate(params[spec.name])
                except ParamError as err:
                    raise ParamError(f"{path}.{spec.name}", err.detail) from None
            elif spec.required and strict:
                raise ParamError(f"{path}.{spec.name}", f"required by {self.type}, missing")
            else:
                clean[spec.name] = spec.default
        return self.normalize(clean)

    def output_names(self, params: dict[str, Any]) -> tuple[str, ...]:
        """The output ports of a node with these parameters (all of ``outputs``
        unless :attr:`ports` says how many of them it has)."""
        if self.ports is None:
            return self.outputs
        try:
            count = self.ports(params)
        except (KeyError, TypeError, ValueError):  # a half-edited parameter: show every port
            return self.outputs
        return self.outputs[:max(1, min(count, len(self.outputs)))]

    def input_label(self, port: int) -> str:
        if port < len(self.input_names):
            return self.input_names[port]
        return "in" if self.max_inputs == 1 else f"in{port + 1}"

    def torch_kwargs(self, params: dict[str, Any], inputs: list[TensorType]) -> dict[str, Any]:
        """Constructor arguments: inferred ones, non-default params, fixed ones."""
        kwargs = dict(self.infer_args(params, inputs)) if self.infer_args else {}
        for spec in self.params:
            if not spec.torch:
                continue
            value = params.get(spec.name, spec.default)
            if spec.required or spec.key or value != spec.default:
                kwargs[spec.name] = tuple(value) if isinstance(value, list) else value
        kwargs.update(self.fixed_args)
        return kwargs

    @property
    def is_input(self) -> bool:
        return self.role is Role.INPUT

    @property
    def is_output(self) -> bool:
        return self.role is Role.OUTPUT

    def state(self, kwargs: dict[str, Any]) -> Construct | None:
        """What the node adds to the model, as ``self.<id> = <call>`` in its
        ``__init__``, given :meth:`torch_kwargs`: the ``torch_class`` module by
        default, what ``creates`` says otherwise, nothing for plain expressions.

        The attribute is named after the node, so its ``state_dict`` keys are
        ``<id>.weight`` for a module and ``<id>`` for a parameter.
        """
        if self.creates is not None:
            return self.creates(kwargs)
        if self.torch_class is not None:
            return Construct(f"nn.{self.torch_class}", kwargs=kwargs)
        return None

    @property
    def has_state(self) -> bool:
        return self.creates is not None or self.torch_class is not None
