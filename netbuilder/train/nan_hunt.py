"""Which node first produced NaN or inf when a run diverged.

"The loss became NaN" says nothing about where. :class:`BatchRecorder` wraps a
run's training step. Before each batch it keeps the random state (a microsecond);
it looks at the batch's loss as the step computes it, before the update, and only
when that loss would make :func:`~netbuilder.train.recipe.train_epoch` raise
:class:`~netbuilder.train.recipe.Diverged` copies the weights and buffers the batch
started from (copying them every batch would cost a few per cent of a small
model's training). One scalar read a batch is all it costs: a check of the whole
output, in a forward hook, cost 7% of a small MLP's epoch. When the run diverges,
:meth:`BatchRecorder.first_bad_node` puts them back and replays the failing batch through the
generated ``forward`` one node at a time (the preview's
:func:`~netbuilder.train.preview.node_steps`, so functional nodes count too),
in training mode with the same dropout draws, and names the first node whose
output is not finite, with the largest value it was fed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .recipe import EXPLODED as LOSS_EXPLODED

ADVICE = "lower the learning rate or add normalisation"
EXPLODED = 1e4  # a finite output this large, with no NaN anywhere, names the node that grew it most


@dataclass(frozen=True)
class BadNode:
    """The first node whose output held NaN or inf in the replayed batch."""

    node_id: str
    what: str  # "NaN", "inf", or "values up to 3e+12" (a loss that exploded without NaN)
    input_max: float | None  # the largest finite |value| among its inputs (None for an input node)
    weights_bad: bool  # its own weights were already NaN/inf before the batch

    def sentence(self, epoch: int, step: int) -> str:
        where = f"in epoch {epoch}, batch {step}"
        if self.weights_bad:
            return (f"`{self.node_id}`'s weights were already {self.what} {where} (an earlier update "
                    f"overflowed) — {ADVICE}")
        fed = "" if self.input_max is None else f": its input max was {self.input_max:.3g}"
        return f"`{self.node_id}` produced {self.what} {where}{fed} — {ADVICE}"


def _what(value: torch.Tensor) -> str | None:
    if not value.is_floating_point():
        return None
    if torch.isnan(value).any():
        return "NaN"
    if torch.isinf(value).any():
        return "inf"
    return None


def _largest(value) -> float | None:
    if not isinstance(value, torch.Tensor) or not value.is_floating_point() or not value.numel():
        return None
    finite = value[torch.isfinite(value)]
    return float(finite.abs().max()) if finite.numel() else math.inf


class BatchRecorder:
    """A training step that remembers how its batch started (see the module docstring)."""

    def __init__(self, step):
        self.step = step
        self.model: nn.Module = step.model
        # views of the live tensors, made once: optimizers and norms update them in place
        self._live = [t.detach() for t in self.model.state_dict(keep_vars=True).values()]
        self._saved: list[torch.Tensor] | None = None
        self._rng = None
        self._watching = False  # the next loss is a training batch's
        self._lowest: float | None = None  # the smallest |loss| so far (Diverged compares with an epoch's first)
        self.kept = False  # the weights of the current batch's start are in _saved
        self.batch = None
        self._loss_fn = step.loss_fn
        step.loss_fn = self._checked_loss  # between the forward pass and the update

    def __getattr__(self, name):  # fit() reads the step's optimizer
        return getattr(self.step, name)

    def __call__(self, x, y):
        self.batch, self.kept, self._watching = (x, y), False, True
        self._rng = torch.get_rng_state()
        return self.step(x, y)

    def _checked_loss(self, output, target):
        """The step's loss; before the update, keep this batch's starting weights if the
        loss is one :func:`~netbuilder.train.recipe.train_epoch` may call diverged: not
        finite, or :data:`~netbuilder.train.recipe.EXPLODED` times the smallest so far (an epoch's first loss, its
        yardstick, is never below that), so every diverged batch finds them kept."""
        loss = self._loss_fn(output, target)
        if not self._watching:
            return loss
        self._watching = False
        value = abs(float(loss.detach()))
        if not math.isfinite(value) or (self._lowest is not None and value > LOSS_EXPLODED * max(self._lowest, 1.0)):
            with torch.no_grad():
                if self._saved is None:
                    self._saved = [t.clone() for t in self._live]
                else:
                    torch._foreach_copy_(self._saved, self._live)
            self.kept = True
        elif self._lowest is None or value < self._lowest:
            self._lowest = value
        return loss

    def close(self) -> None:
        self.step.loss_fn = self._loss_fn

    def first_bad_node(self, doc, generated) -> BadNode | None:
        """Replay the last batch from where it started: the first node with a NaN/inf output,
        else the one that grew its input most into a huge output; None if nothing stands out."""
        from .preview import node_steps

        if self.batch is None or not self.kept or len(generated.input_ids) != 1:
            return None  # without the batch's own starting weights a replay would mislead
        torch._foreach_copy_(self._live, self._saved)
        torch.set_rng_state(self._rng)
        params = {attr: list(getattr(self.model, attr).parameters()) if isinstance(getattr(self.model, attr), nn.Module)
                  else [getattr(self.model, attr)] for attr in generated.attr_of.values()}
        x = self.batch[0]
        namespace = {"torch": torch, "nn": nn, "self": self.model}
        outputs: dict[str, torch.Tensor] = {}
        node, name = generated.input_ids[0], generated.input_names[0]
        namespace[name] = outputs[node] = x
        if _what(x):
            return BadNode(node, _what(x), None, False)  # the data itself
        self.model.train()
        grown: tuple[float, BadNode] | None = None
        with torch.no_grad():
            for node, code, target in node_steps(generated.class_source, generated.line_of):
                own = params.get(generated.attr_of.get(node), [])
                broken = next((w for w in (_what(p) for p in own) if w), None)
                if broken:
                    return BadNode(node, broken, None, True)
                exec(code, namespace)  # the generated model's own statements for this node
                value = namespace.get(target) if target else None
                while isinstance(value, (tuple, list)) and value:
                    value = value[0]
                if not isinstance(value, torch.Tensor):
                    continue
                outputs[node] = value
                what = _what(value)
                fed = [v for v in (_largest(outputs.get(e.source)) for e in doc.in_edges(node)) if v is not None]
                fed_max = max(fed) if fed else None
                if what:
                    return BadNode(node, what, fed_max, False)
                largest = _largest(value)
                if largest is not None and largest >= EXPLODED:
                    growth = largest / max(fed_max or 1.0, 1e-12)
                    if grown is None or growth > grown[0]:
                        grown = (growth, BadNode(node, f"values up to {largest:.3g}", fed_max, False))
        return grown[1] if grown else None
