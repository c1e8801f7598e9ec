"""Shape inference of a block instance: its definition inferred with the instance's arguments.

An instance is evaluated by running the very same per-node inference of
:mod:`.shapes` over its definition, its Input nodes taking the feeders'
types and its ``"$name"`` references the instance's values; a repeated
instance chains that ``repeat`` times. Evaluations are cached in the top
document's ``block_cache`` by (block, arguments, input types), cleared on
any edit of a definition, so a graph repeating a block many times infers
each distinct use once. Problems inside surface on the instance, naming the
path in (``stage2.0 › conv1: …``) and keeping the inner ids in
:attr:`Problem.inner` so that opening the block can point at the node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .layers import TensorType
from .report import NodeInfo, Problem, Severity, Status


@dataclass(frozen=True)
class Binding:
    """What a document is evaluated with: values of its declared parameters
    (a block definition's ``"$name"`` references), and for an instance the
    feeders' types on its Input nodes (``None``: each Input's own shape)."""

    args: dict = field(default_factory=dict)
    inputs: dict[str, TensorType] | None = None


#: How one node is inferred: ``(doc, node_id, infos so far, binding) -> NodeInfo``
#: (:func:`netbuilder.core.shapes.node_info`, handed in so that this module needs no import of it).
NodeInference = Callable[..., NodeInfo]


@dataclass
class Evaluation:
    """One copy of an instance: its definition inferred for given arguments and input types."""

    block: str
    args: dict
    infos: dict[str, NodeInfo]
    order: list[str]
    inputs: list[str]  # the definition's Input ids (its ports), in order
    outputs: list[str]  # its Output ids
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.severity == Severity.ERROR for p in self.problems)

    @property
    def params(self) -> int:
        return sum(info.params for info in self.infos.values() if info.used)

    @property
    def macs(self) -> int:
        return sum(info.macs for info in self.infos.values() if info.used)

    def output_types(self) -> list[TensorType] | None:
        found = []
        for node_id in self.outputs:
            info = self.infos.get(node_id)
            if info is None or not info.outputs:
                return None
            found.append(info.outputs[0])
        return found


@dataclass
class BlockEvaluation:
    """What :attr:`NodeInfo.block` holds for an instance: one evaluation per copy."""

    copies: list[Evaluation]
    repeated: bool  # an nn.Sequential of copies (repeat > 1), addressed ``id.0``, ``id.1``…


def _frozen(args: dict):
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items()))


def evaluate(definition, args: dict, inputs: tuple[TensorType, ...], node_info: NodeInference) -> Evaluation:
    """``definition`` inferred with ``args`` and its Inputs fed ``inputs`` (cached)."""
    cache = definition.library.block_cache
    key = (definition.name, _frozen(args), inputs)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _evaluate(definition, args, inputs, node_info)
    return found


def _evaluate(definition, args: dict, inputs: tuple[TensorType, ...], node_info: NodeInference) -> Evaluation:
    spec = definition.spec_for(definition.name)
    binding = Binding(dict(args), dict(zip(spec.input_ids, inputs)))
    order = definition.topological_order()
    infos: dict[str, NodeInfo] = {}
    for node_id in order:
        infos[node_id] = node_info(definition, node_id, infos, binding)
    problems = [p for node_id in order for p in infos[node_id].problems]
    for node_id in definition.nodes.keys() - set(order):
        problem = Problem(node_id, Severity.ERROR, f"{definition.nodes[node_id].type} '{node_id}': is part of a cycle")
        infos[node_id] = NodeInfo(Status.ERROR, problems=[problem])
        problems.append(problem)
    return Evaluation(definition.name, dict(args), infos, order, list(spec.input_ids), list(spec.output_ids),
                      problems)


def instance_info(doc, node, spec, params: dict, inputs: list[TensorType], label: str,
                  node_info: NodeInference) -> NodeInfo:
    """The :class:`NodeInfo` of block instance ``node`` fed ``inputs``."""
    definition = doc.library.blocks[spec.block]
    args = {name: params.get(name, p.default) for name, p in definition.parameters.items()}
    repeat = params.get("repeat", 1) if spec.repeatable else 1
    copies: list[Evaluation] = []
    problems: list[Problem] = []
    current = tuple(inputs)
    for index in range(repeat):
        evaluation = evaluate(definition, args, current, node_info)
        copies.append(evaluation)
        where = f"{node.id}.{index}" if repeat > 1 else node.id
        if index == 0 or not evaluation.ok:
            problems += [_on_instance(node.id, label, where, definition, p) for p in evaluation.problems]
        outputs = evaluation.output_types()
        if not evaluation.ok or outputs is None:
            break
        current = tuple(outputs)
    status = Status.ERROR if any(p.severity == Severity.ERROR for p in problems) else (
        Status.WARNING if problems else Status.OK)
    last = copies[-1]
    outputs = tuple(last.output_types() or ()) if status != Status.ERROR else ()
    block = BlockEvaluation(copies, repeat > 1)
    return NodeInfo(status, outputs, problems, sum(c.params for c in copies), sum(c.macs for c in copies), {},
                    tuple(inputs), block=block)


def _on_instance(instance_id: str, label: str, where: str, definition, problem: Problem) -> Problem:
    """An inner problem as the instance shows it: ``BasicBlock 'stage2': stage2.0 › conv1: …``."""
    if problem.node_id is None:
        return Problem(instance_id, problem.severity, f"{label}: {where} (inside {definition.name}): "
                       f"{problem.message}")
    inner = definition.nodes.get(problem.node_id)
    inner_label = f"{inner.type} '{problem.node_id}': " if inner is not None else ""
    text = problem.message.removeprefix(inner_label)
    if not problem.inner:  # a layer's own problem: name it; an inner instance's text starts with its path
        text = f"{problem.node_id}: {text}"
    return Problem(instance_id, problem.severity, f"{label}: {where} › {text}", (problem.node_id, *problem.inner))
