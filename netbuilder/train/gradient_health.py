"""Vanishing and exploding gradients, told in a sentence that names the nodes.

The engine measures each node's parameter-gradient norm once per epoch (the
probes, :mod:`.probes`). Gradients shrink on their way back to the input when a
network is too deep for its activations and has no normalisation or skip
connections, and grow when the weights or the learning rate are too large.
Both show as a ratio between the gradient norms of an early node and a later
one that no healthy network reaches: a layer's size alone moves its norm by the
square root of its parameter count, a factor of ten or a hundred, never ten
thousand. An absolute norm far above anything a normal loss gives is also
exploding, whatever the others do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

VANISHING_RATIO = 1e-4  # an earlier node's gradient norm below this share of a later one's
EXPLODING_RATIO = 1e4  # an earlier node's above this multiple of a later one's
EXPLODING_NORM = 1e4  # any node's, on its own

VANISHING_ADVICE = "vanishing gradients: add normalisation / residual connections / lower depth"
EXPLODING_ADVICE = "exploding gradients: lower the learning rate, set grad_clip, add normalisation"


@dataclass(frozen=True)
class GradientProblem:
    kind: str  # "vanishing" | "exploding"
    nodes: tuple[str, ...]  # the node that shows it, then the one it is compared with (if any)
    message: str


def _ratio(value: float) -> str:
    return "zero" if value == 0 else f"{value:.0e}"


def gradient_problems(stats: dict[str, dict], order: list[str]) -> list[GradientProblem]:
    """What is wrong with one epoch's gradients. ``stats`` are a :class:`~.events.NodeStats`'
    numbers by node, ``order`` the nodes from input to output (the graph's topological order)."""
    norms = [(node, float(stats[node]["grad_norm"])) for node in order
             if node in stats and stats[node].get("grad_norm") is not None]
    norms = [(node, norm) for node, norm in norms if math.isfinite(norm)]
    problems: list[GradientProblem] = []
    huge = [(node, norm) for node, norm in norms if norm > EXPLODING_NORM]
    if huge:
        node, norm = max(huge, key=lambda pair: pair[1])
        problems.append(GradientProblem("exploding", (node,), f"grad norm of {node} is {norm:.0e} — "
                                                              f"{EXPLODING_ADVICE}"))
    if len(norms) < 2:
        return problems
    top = max(range(len(norms)), key=lambda i: norms[i][1])
    top_node, top_norm = norms[top]
    if top > 0 and top_norm > 0:  # the smallest before the largest: shrinking towards the input
        low_node, low_norm = min(norms[:top], key=lambda pair: pair[1])
        if low_norm < VANISHING_RATIO * top_norm:
            problems.append(GradientProblem(
                "vanishing", (low_node, top_node),
                f"grad norm of {low_node} is {_ratio(low_norm / top_norm)} of {top_node}'s — {VANISHING_ADVICE}"))
    if not huge and top < len(norms) - 1:  # the largest before the smallest: growing towards the input
        low_node, low_norm = min(norms[top + 1:], key=lambda pair: pair[1])
        if top_norm > EXPLODING_RATIO * low_norm and low_norm > 0:
            problems.append(GradientProblem(
                "exploding", (top_node, low_node),
                f"grad norm of {top_node} is {top_norm / low_norm:.0e} times {low_node}'s — {EXPLODING_ADVICE}"))
    return problems


class GradientWatch:
    """Says each problem once per run: the first epoch it shows (a problem that
    moves to other nodes is a new one)."""

    def __init__(self, order: list[str]):
        self.order = order
        self._said: set[tuple[str, tuple[str, ...]]] = set()

    def new_problems(self, stats: dict[str, dict]) -> list[GradientProblem]:
        fresh = []
        for problem in gradient_problems(stats, self.order):
            key = (problem.kind, problem.nodes)
            if key not in self._said:
                self._said.add(key)
                fresh.append(problem)
        return fresh
