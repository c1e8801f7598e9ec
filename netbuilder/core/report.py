"""What shape inference found: the report the canvas, the checks and the compiler read.

Kept apart from :mod:`.shapes` (which needs PyTorch as its oracle) so a GUI can
draw a graph, with every node's status still unknown, before PyTorch has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .document import Edge
from .layers import TensorType


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Status(StrEnum):
    """How a node is drawn: its own result and the problems pinned on it."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    UNKNOWN = "unknown"  # below an error, or on a cycle: nothing can be said


@dataclass(frozen=True)
class Problem:
    """One error or warning; ``node_id`` is ``None`` for graph-level problems."""

    node_id: str | None
    severity: Severity
    message: str
    inner: tuple[str, ...] = ()  # on a block instance: the ids down to the inner node it is about


@dataclass
class NodeInfo:
    """What inference knows about one node.

    ``used`` is False for a node connected to nothing: it gets a warning and
    is left out of the compiled model, so a freshly dropped node never blocks
    a model that is otherwise fine.
    """

    status: Status = Status.UNKNOWN
    outputs: tuple[TensorType, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    params: int = 0
    macs: int = 0
    kwargs: dict = field(default_factory=dict)  # torch constructor arguments
    inputs: tuple[TensorType, ...] = ()
    used: bool = True
    block: Any = None  # a block instance's evaluation (netbuilder.core.block_shapes.BlockEvaluation)


@dataclass
class ShapeReport:
    """The result of inference over a whole document."""

    nodes: dict[str, NodeInfo]
    problems: list[Problem]
    order: list[str]
    outputs: list[str]  # ids of the nodes whose value the model returns
    inputs: list[str] = field(default_factory=list)  # ids of the Input nodes forward() takes, in order
    loading: bool = False  # nothing was inferred yet: PyTorch, the oracle, is still loading
    _pinned: dict[str, tuple[Problem, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def pending(cls, node_ids) -> ShapeReport:
        """What is known before inference could run: every node unknown, no problem found."""
        ids = list(node_ids)
        return cls({node_id: NodeInfo() for node_id in ids}, [], ids, [], loading=True)

    def __post_init__(self):
        pinned: dict[str, list[Problem]] = {}
        for problem in self.problems:
            if problem.node_id is not None:
                pinned.setdefault(problem.node_id, []).append(problem)
        self._pinned = {node_id: tuple(found) for node_id, found in pinned.items()}

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    def problems_of(self, node_id: str) -> tuple[Problem, ...]:
        """Every problem pinned on ``node_id``: its own and the graph's about it."""
        return self._pinned.get(node_id, ())

    def status_of(self, node_id: str) -> Status:
        """What the canvas shows for ``node_id`` (an error anywhere on it wins)."""
        mine, info = self.problems_of(node_id), self.nodes.get(node_id)
        if any(p.severity == Severity.ERROR for p in mine):
            return Status.ERROR
        if info is None or info.status == Status.UNKNOWN:
            return Status.UNKNOWN
        return Status.WARNING if mine else Status.OK

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_params(self) -> int:
        return sum(info.params for info in self.nodes.values() if info.used)

    @property
    def total_macs(self) -> int:
        return sum(info.macs for info in self.nodes.values() if info.used)

    def output_types(self) -> list[TensorType | None]:
        return [self.value_type(i, 0) for i in self.outputs]

    def value_type(self, node_id: str, port: int = 0) -> TensorType | None:
        info = self.nodes.get(node_id)
        if info is None or port >= len(info.outputs):
            return None
        return info.outputs[port]

    def edge_type(self, edge: Edge) -> TensorType | None:
        return self.value_type(edge.source, edge.source_port)
