"""Walking a traced graph and deciding which netbuilder node each fx node becomes.

Most fx nodes become one planned node. Some become none: shape arithmetic
(``x.size(0)``, ``x.shape[1:]``) is evaluated here, the batch size tracked as
:data:`~.calls.BATCH`, and ``.contiguous()`` passes its input on.
Some groups become one: a recurrent module plus the indexing netbuilder's own
code writes after it (``out[:, -1]``, ``h[-1]``), a parameter plus the
``.expand(x.shape[0], …)`` that gives each sample a copy of it, and
``a + b + c`` written on one line. Everything else is recorded as unsupported
with the reason; the walk goes on so that the user sees every problem at once.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from ..core.errors import ParamError
from ..core.layers import LayerSpec, get_spec
from .calls import ALIAS, BATCH, PIECES, BatchDependent, Condition, Mapped, Unsupported
from .errors import UnsupportedOp
from .function_table import map_call
from .module_table import differences, drop_path_rate, read_params, spec_for
from .recurrent import Pattern, attention_pattern, recurrent_pattern
from .structure import flat_results
from .tensor_calls import takes_weights
from .tracing import source_of, statement_of
from .values import TensorMeta

_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.floordiv, operator.truediv, operator.mod,
               operator.neg}
_SYMBOLS = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/", operator.matmul: "@",
            operator.getitem: "indexing [...]", operator.floordiv: "//", operator.pow: "**", operator.neg: "unary -"}
_OPTIONAL_KWARGS = (None, False)  # module keyword arguments that only say "nothing special"
_RECURRENT = ("RNN", "LSTM", "GRU")
_TUPLE_VALUED = (*_RECURRENT, "MultiheadAttention")  # torch returns tuples, netbuilder has ports


class _Cascade(Exception):
    """A node fails only because an input already failed: reported once, at the input."""


@dataclass(eq=False)
class Planned:
    """A node of the coming document; ids are chosen once everything is known."""

    layer: str
    params: dict[str, Any]
    inputs: list[tuple[Planned, int]]
    fx_nodes: list[fx.Node]  # what it stands for; the last one produces its value
    state: str | None = None  # path of the submodule or parameter it holds, whose weights it takes
    tensors: dict[str, str] = field(default_factory=dict)  # or, for F.layer_norm(x, s, self.w, self.b): its weights
    id: str = ""

    @property
    def node(self) -> fx.Node:
        return self.fx_nodes[-1]

    @property
    def spec(self) -> LayerSpec:
        return get_spec(self.layer)


@dataclass
class MappedGraph:
    planned: list[Planned]
    outputs: list[tuple[Planned, int] | None]
    unsupported: list[UnsupportedOp]
    notes: list[str] = field(default_factory=list)


def describe(node: fx.Node, root: nn.Module) -> str:
    """How a report names a node: ``nn.Conv3d 'enc.conv'``, ``torch.nn.functional.linear``."""
    if node.op == "call_module":
        module = root.get_submodule(node.target)
        prefix = "nn." if type(module).__module__.startswith("torch.nn") else ""
        return f"{prefix}{type(module).__name__} '{node.target}'"
    if node.op == "call_method":
        return f"Tensor.{node.target}()"
    if node.op == "get_attr":
        return f"attribute '{node.target}'"
    if node.op == "call_function":
        if node.target in _SYMBOLS:
            return _SYMBOLS[node.target]
        module = getattr(node.target, "__module__", None) or "torch"
        name = f"{module}.{getattr(node.target, '__name__', node.target)}"
        return name.replace("torch._C._nn.", "torch.nn.functional.").replace("torch._C._VariableFunctions.", "torch.")
    return node.op


def _init_like(parameter: nn.Parameter) -> str:
    """The init whose values these look like. The values come along as weights anyway;
    this only says what a fresh start draws (and gives a netbuilder model its own back)."""
    with torch.no_grad():
        if not parameter.any():
            return "zeros"
        return "ones" if bool((parameter == 1).all()) else "randn"


def _validated(layer: str, params: dict) -> dict:
    """``params`` checked by the layer's spec; a refusal says, in the call's terms, which value
    netbuilder's node cannot take and what it takes instead."""
    spec = get_spec(layer)
    try:
        return spec.validate_params(params)
    except ParamError as err:
        name = err.field.rsplit(".", 1)[-1]
        param = spec.param(name)
        wanted = param.expected() if param is not None else "something else"
        raise Unsupported(f"netbuilder's {layer} needs {name} to be {wanted}, got {params.get(name)!r}: write the "
                          f"call with such a {name}") from None


class GraphMapper:
    """Plans the document for one traced module (see the module docstring)."""

    def __init__(self, graph_module: fx.GraphModule, values: dict[fx.Node, Any]):
        self.root = graph_module
        self.values = values
        self.planned: list[Planned] = []
        self.ports: dict[fx.Node, tuple[Planned, int]] = {}
        self.consts: dict[fx.Node, Any] = {}
        self.done: set[fx.Node] = set()  # consumed by a pattern
        self.refusals: dict[fx.Node, str] = {}  # from the patterns: uses they cannot map
        self.parameters: dict[fx.Node, nn.Parameter] = {}  # read by get_attr, waiting for their expand
        self.failed: set[fx.Node] = set()
        self.unsupported: list[UnsupportedOp] = []
        self.notes: list[str] = []
        self.calls: Counter[str] = Counter()
        self.tuples: dict[fx.Node, tuple[Planned | None, Mapped]] = {}  # calls returning tensors, by item
        self.whole_states: set[fx.Node] = set()  # recurrent states of every layer, batch first on the node
        self.torch_layout_states: set[fx.Node] = set()  # those of them that forward holds as (layers, N, H)

    # -- values -------------------------------------------------------------------
    def meta(self, arg: Any) -> TensorMeta | None:
        """The recorded tensor type of ``arg``; asking about a failed node ends the question quietly."""
        if isinstance(arg, fx.Node) and arg in self.failed:
            raise _Cascade()
        value = self.values.get(arg) if isinstance(arg, fx.Node) else None
        return value if isinstance(value, TensorMeta) else None

    def resolve(self, arg: Any) -> Any:
        if isinstance(arg, fx.Node):
            if arg in self.consts:
                return self.consts[arg]
            if arg in self.failed:
                raise _Cascade()
            raise Unsupported(f"uses the tensor '{arg.name}' as a number or shape")
        if isinstance(arg, (tuple, list)):
            return type(arg)(self.resolve(a) for a in arg)
        if isinstance(arg, slice):
            return slice(self.resolve(arg.start), self.resolve(arg.stop), self.resolve(arg.step))
        return arg

    def port(self, node: fx.Node) -> tuple[Planned, int]:
        if node in self.ports:
            return self.ports[node]
        if node in self.failed:
            raise _Cascade()
        if isinstance(self.consts.get(node), Condition):
            raise Unsupported(f"uses the comparison '{node.name}' (a boolean tensor), which netbuilder keeps only "
                              "inside torch.where(...) or masked_fill(...)")
        if node in self.tuples:
            raise Unsupported(f"uses the pieces of '{node.name}' as a whole; take them one by one (a, b = ...)")
        raise Unsupported(f"uses '{node.name}', which netbuilder has no value for")

    # -- the walk -----------------------------------------------------------------
    def run(self) -> MappedGraph:
        for node in self.root.graph.nodes:
            if node in self.done or node.op == "output":
                continue
            try:
                if node in self.refusals:
                    raise Unsupported(self.refusals[node])
                getattr(self, f"_{node.op}")(node)
            except Unsupported as err:
                self.failed.add(node)
                self.unsupported.append(UnsupportedOp(describe(node, self.root), str(err), source_of(node)))
            except _Cascade:
                self.failed.add(node)
        return MappedGraph(self.planned, self._outputs(), self.unsupported, self.notes)

    def _outputs(self) -> list[tuple[Planned, int] | None]:
        output = next(n for n in self.root.graph.nodes if n.op == "output")
        result = []
        for value in flat_results(output.args[0]):  # return decoded, (h, c): three outputs
            if isinstance(value, fx.Node) and value in self.torch_layout_states:
                result.append(None)
                self.unsupported.append(UnsupportedOp(
                    "return", f"returns the recurrent state '{value.name}' of every layer, (layers, N, hidden): "
                    "netbuilder's outputs keep the batch first and cannot give it yet; return h[-1], the last "
                    "layer's state", source_of(output)))
            elif isinstance(value, fx.Node) and value in self.ports:
                result.append(self.ports[value])
            elif isinstance(value, fx.Node) and value in self.tuples and self.tuples[value][0] is not None:
                planned, mapped = self.tuples[value]  # a layer's tuple returned whole: each of its ports
                parts = [mapped.parts(i) for i in range(len(self.values[value]))]
                if not all(isinstance(part, int) for part in parts):
                    raise_at = UnsupportedOp("return", f"returns the pieces of '{value.name}' as a whole; return "
                                             "them one by one", source_of(output))
                    self.unsupported.append(raise_at)
                    result.append(None)
                    continue
                result += [(planned, part) for part in parts]
            else:
                result.append(None)
                if not (isinstance(value, fx.Node) and value in self.failed):
                    self.unsupported.append(UnsupportedOp(
                        "return", f"returns {value!r}, which is not a tensor netbuilder computes", source_of(output)))
        return result

    def plan(self, layer: str, params: dict, inputs: list[fx.Node], node: fx.Node,
             state: str | None = None, after: Planned | None = None) -> Planned:
        """A node for ``node`` fed by ``inputs`` (or by ``after``, the node before it in a chain)."""
        clean = _validated(layer, params)
        feeds = [(after, 0)] if after is not None else [self.port(n) for n in inputs]
        planned = Planned(layer, clean, feeds, [node], state)
        self.planned.append(planned)
        self.ports[node] = (planned, 0)
        return planned

    def _placeholder(self, node: fx.Node) -> None:
        meta = self.meta(node)
        self.plan("Input", {"shape": list(meta.shape[1:]), "dtype": meta.dtype}, [], node)

    def _get_attr(self, node: fx.Node) -> None:
        """A parameter is a Parameter node when forward uses it as netbuilder's code does,
        one copy per sample: ``self.pos.expand(x.shape[0], 6, 8)`` (see :meth:`_expanded`)."""
        try:
            parameter = self.root.get_parameter(node.target)
        except AttributeError:
            parameter = self._buffer(node)
        if node.users and all(user.op == "call_method" and user.target == "expand" and user.args[0] is node
                              for user in node.users):
            self.parameters[node] = parameter
            return
        if node.users and all(takes_weights(user, node) for user in node.users):
            return  # F.layer_norm(x, shape, self.weight, self.bias): the call's node holds it
        self._used_as_it_is(node, parameter)

    def _buffer(self, node: fx.Node) -> torch.Tensor:
        """A float buffer read in forward (a sinusoidal position table) becomes a Parameter node
        with its values: the same outputs, but training would now change it, which a note says."""
        try:
            buffer = self.root.get_buffer(node.target)
        except AttributeError:
            raise Unsupported("forward reads a constant tensor that is neither a parameter nor a buffer; "
                              "register it (register_buffer) or make it an nn.Parameter") from None
        made_in_forward = node.target.startswith("_tensor_constant")  # torch.ones(3) in forward: fx keeps its value
        what = "a tensor made in forward" if made_in_forward else f"buffer '{node.target}'"
        if buffer.dtype != torch.float32:
            raise Unsupported(f"forward reads {what} of {str(buffer.dtype).removeprefix('torch.')}; a Parameter "
                              "node holds float32 values (a mask can be written as a comparison inside "
                              "torch.where or masked_fill)")
        self.notes.append(f"{what} is read in forward: it became a Parameter node with its values, so training "
                          "would change it; keep it out of the optimiser to keep it constant")
        return buffer

    def _used_as_it_is(self, node: fx.Node, parameter: nn.Parameter) -> None:
        """``x + self.pos_embed``, ``x * self.gamma``: the parameter broadcasts against
        the values it meets, so each sample gets it lined up from the right, in the
        rank of those values: a Parameter node whose ``sample_shape`` says so."""
        ranks = [self.meta(user).rank for user in node.users if self.meta(user) is not None]
        stored = tuple(parameter.shape)
        rank = max(ranks, default=0)
        if not ranks or len(stored) > rank or (len(stored) == rank and stored[0] != 1):
            sizes = ", ".join(map(str, stored))
            raise Unsupported(f"forward uses the parameter as a whole tensor, not once per sample; netbuilder's "
                              f"Parameter gives every sample the same copy: self.{node.target}.expand(x.shape[0], "
                              f"{sizes}), or a leading size of 1 that broadcasts")
        sample = stored[1:] if len(stored) == rank else (1,) * (rank - 1 - len(stored)) + stored
        params = {"shape": list(stored), "init": _init_like(parameter),
                  "sample_shape": list(sample) if sample != stored else None}
        self.values[node] = TensorMeta((1, *sample), self.values[node].dtype)  # each sample's view of it
        self.plan("Parameter", params, [], node, state=node.target)

    def _expanded(self, node: fx.Node) -> None:
        """``parameter.expand(batch, *its shape)``, sizes of -1 meaning "as it is"."""
        parameter = self.parameters[node.args[0]]
        sizes = self.resolve(tuple(node.args[1:]))
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        sample = [want for want in self.meta(node).shape[1:]]
        if node.kwargs or sizes[0] is not BATCH or len(sizes) < parameter.dim():
            raise Unsupported("expands the parameter to something other than one copy of it per sample")
        stored = list(parameter.shape)
        params = {"shape": stored, "init": _init_like(parameter), "sample_shape": sample if sample != stored else None}
        self.plan("Parameter", params, [], node, state=node.args[0].target)

    def _call_module(self, node: fx.Node) -> None:
        module = self.root.get_submodule(node.target)
        spec = spec_for(module)
        if spec is None and drop_path_rate(module) is not None and len(node.args) == 1 and not node.kwargs:
            rate = drop_path_rate(module)
            self.plan("DropPath" if rate else "Identity", {"p": rate} if rate else {}, [node.args[0]], node)
            return
        if spec is None:
            raise Unsupported(f"{type(module).__name__} has no netbuilder layer")
        self.calls[node.target] += 1
        if self.calls[node.target] == 2 and next(module.parameters(), None) is not None:
            self.notes.append(f"'{node.target}' is called more than once: each call becomes its own node with "
                              "a copy of the weights (the same now, trained separately)")
        pattern = self._module_pattern(node, spec.type, read_params(spec, module))
        self.done |= pattern.absorbed
        self.refusals.update(pattern.refusals)
        try:
            if getattr(module, "inplace", False):
                self._check_inplace(pattern.inputs[0])
            if spec.type in _RECURRENT:
                self._check_initial_state(pattern.inputs[1:])
            params = _validated(spec.type, pattern.params)
            problems = differences(spec, params, module, [self.meta(n).sample_type() for n in pattern.inputs])
            if problems:
                raise Unsupported("; ".join(problems))
            planned = self.plan(spec.type, params, pattern.inputs, node, state=node.target)
        except (Unsupported, _Cascade):
            self.failed |= pattern.absorbed
            raise
        if spec.type in _TUPLE_VALUED:  # only its indexed parts have values
            del self.ports[node]
            self.ports.update({user: (planned, port) for user, port in pattern.ports.items()})
            if params.get("state") == "every layer":
                for user in (user for user, port in pattern.ports.items() if port):
                    self._whole_state(user, user in pattern.torch_layout)
        elif isinstance(self.values.get(node), tuple):  # (out, indices), (h, c): its items are the node's ports
            del self.ports[node]
            self.tuples[node] = (planned, Mapped(spec.type, {}, pattern.inputs, parts=int))

    def _module_pattern(self, node: fx.Node, layer: str, params: dict) -> Pattern:
        if layer in _RECURRENT:
            return recurrent_pattern(node, layer, params)
        if layer == "MultiheadAttention":
            return attention_pattern(node, params, lambda value: self.meta(value) is not None)
        extra = {k: v for k, v in node.kwargs.items() if v not in _OPTIONAL_KWARGS}
        spec, count = get_spec(layer), len(node.args)
        fits = spec.min_inputs <= count <= (spec.max_inputs if spec.max_inputs is not None else count)
        if not fits or extra or any(self.meta(arg) is None for arg in node.args):
            wanted = "one tensor" if spec.max_inputs == 1 else f"{spec.min_inputs} to {spec.max_inputs} tensors"
            raise Unsupported(f"netbuilder's layer takes {wanted} and no other arguments")
        return Pattern(list(node.args), params, {}, set())

    def _whole_state(self, state: fx.Node, torch_layout: bool) -> None:
        """torch's (layers, N, H) state is netbuilder's (N, layers, H): the node's port gives it so."""
        meta = self.values[state]
        self.whole_states.add(state)
        if torch_layout:
            self.values[state] = TensorMeta((meta.shape[1], meta.shape[0], *meta.shape[2:]), meta.dtype)
            self.torch_layout_states.add(state)

    def _check_initial_state(self, states: list[fx.Node]) -> None:
        for state in states:
            if state not in self.whole_states:
                raise Unsupported(f"an initial hidden state '{state.name}' that is not another recurrent layer's "
                                  "final state: a model input or a tensor made in forward is (layers, N, hidden), "
                                  "batch second, which netbuilder's inputs cannot take yet; start from zeros "
                                  "(leave the state out) or pass an encoder's (h, c) on")

    def _check_inplace(self, source: fx.Node) -> None:
        """netbuilder's layers never work in place: fine unless something else reads the overwritten value."""
        if len(source.users) > 1:
            raise Unsupported(f"works in place on '{source.name}', which is also used elsewhere")

    def _call_function(self, node: fx.Node) -> None:
        if node.args and isinstance(node.args[0], fx.Node) and node.args[0] in self.parameters:
            self._expanded(node)
            return
        if node.op == "call_method" and node.target == "new_ones":
            self._drop_path(node)
            return
        if node.args and isinstance(node.args[0], fx.Node) and node.args[0] in self.tuples:
            self._take_part(node)
            return
        value = self.values.get(node)
        tensors = isinstance(value, tuple) and value and all(isinstance(v, TensorMeta) for v in value)
        if self.meta(node) is None and not tensors:
            self.consts[node] = self._constant(node)
            return
        mapped = map_call(node, self.resolve, self.meta, self.values.get)
        if isinstance(mapped, Condition) or (isinstance(value, TensorMeta) and value.dtype == "bool"):
            if not isinstance(mapped, Condition):
                raise Unsupported("makes a boolean tensor, which has no node")
            self.consts[node] = mapped  # read by torch.where / masked_fill
            return
        if mapped.inplace:
            self._check_inplace(mapped.inputs[0])
        if mapped.layer == ALIAS:
            self.ports[node] = self.port(mapped.inputs[0])
        elif mapped.layer == PIECES:
            self.port(mapped.inputs[0])  # its input must have a value
            self.tuples[node] = (None, mapped)
        elif not self._extend_chain(node, mapped):
            planned = self.plan(mapped.layer, mapped.params, mapped.inputs, node)
            planned.tensors = mapped.tensors
            for layer, params in mapped.chain:
                planned = self.plan(layer, params, [], node, after=planned)
            if mapped.parts is not None:
                del self.ports[node]
                self.tuples[node] = (planned, mapped)

    _call_method = _call_function

    def _drop_path(self, node: fx.Node) -> None:
        """``x * F.dropout(x.new_ones(x.shape[0], 1, …, 1), p, self.training)``: stochastic depth,
        as netbuilder's DropPath writes it; the three calls are one node."""
        source, meta = node.args[0], self.meta(node.args[0])
        sizes = self.resolve(tuple(node.args[1:]))
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        dropout = next(iter(node.users)) if len(node.users) == 1 else None
        product = next(iter(dropout.users)) if dropout is not None and len(dropout.users) == 1 else None
        if (meta is None or node.kwargs or sizes != (BATCH, *[1] * (meta.rank - 1)) or product is None
                or dropout.target is not F.dropout or product.target is not operator.mul
                or set(product.args) != {source, dropout}):
            raise Unsupported("makes a new tensor, which has no node (a drop path is written x * F.dropout("
                              "x.new_ones(x.shape[0], 1, …), p, self.training))")
        bound = dict(zip(("input", "p", "training", "inplace"), dropout.args), **dropout.kwargs)
        rate, training = self.resolve(bound.get("p", 0.5)), self.resolve(bound.get("training", True))
        self.done |= {dropout, product}
        self.plan("DropPath" if rate and training else "Identity", {"p": rate} if rate and training else {},
                  [source], product)

    def _take_part(self, node: fx.Node) -> None:
        """``a, b = x.chunk(2, 1)``, ``x.max(1)[0]``, ``x.max(1).values``: one item of a call's tuple."""
        source = node.args[0]
        planned, mapped = self.tuples[source]
        if node.op == "call_function" and node.target is getattr and node.args[1] in ("values", "indices"):
            index = ("values", "indices").index(node.args[1])
        elif node.op == "call_function" and node.target is operator.getitem:
            index = self.resolve(node.args[1])
        else:
            raise Unsupported(f"uses the pieces of '{source.name}' as a whole; take them one by one (a, b = ...)")
        if not isinstance(index, int):
            raise Unsupported(f"takes {index!r} of the pieces of '{source.name}'; take them one by one")
        part = mapped.parts(index % len(self.values[source]))
        if isinstance(part, int):
            self.ports[node] = (planned, part)
        else:
            self.plan(*part, mapped.inputs[:1], node)

    def _extend_chain(self, node: fx.Node, mapped: Mapped) -> bool:
        """``a + b + c`` on one line is one Add with three inputs (netbuilder writes it that way)."""
        left = mapped.inputs[0]
        if mapped.layer not in ("Add", "Multiply") or left not in self.ports:
            return False
        planned, _ = self.ports[left]
        same_line = statement_of(left) is not None and statement_of(left) == statement_of(node)
        if planned.layer != mapped.layer or planned.node is not left or len(left.users) != 1 or not same_line:
            return False
        planned.inputs.append(self.port(mapped.inputs[1]))
        planned.fx_nodes.append(node)
        self.ports[node] = (planned, 0)
        return True

    def _constant(self, node: fx.Node) -> Any:
        """Shape arithmetic: a number, a tuple, :data:`BATCH`, or a batch-dependent marker."""
        target, args = node.target, node.args
        if node.op == "call_function" and target is getattr and args[1] in ("shape", "ndim"):
            meta = self._tensor_arg(args[0])
            return (BATCH, *meta.shape[1:]) if args[1] == "shape" else meta.rank
        if node.op == "call_method" and target in ("size", "dim"):
            meta = self._tensor_arg(args[0])
            if target == "dim":
                return meta.rank
            shape = (BATCH, *meta.shape[1:])
            dim = args[1] if len(args) > 1 else node.kwargs.get("dim")
            return shape if dim is None else shape[self.resolve(dim)]
        if node.op == "call_function" and target is operator.getitem:
            container = self.resolve(args[0])
            if not isinstance(container, tuple):
                raise Unsupported("indexes a value netbuilder cannot follow")
            return container[self.resolve(args[1])]
        if node.op == "call_function" and target in _ARITHMETIC:
            operands = [self.resolve(a) for a in args]
            if any(isinstance(v, BatchDependent) for v in operands):
                return BatchDependent("a number computed from the batch size")
            return target(*operands)
        raise Unsupported("has no netbuilder layer")

    def _tensor_arg(self, arg: Any) -> TensorMeta:
        if arg in self.failed:
            raise _Cascade()
        meta = self.meta(arg)
        if meta is None:
            raise Unsupported("reads the shape of something that is not a tensor")
        return meta
