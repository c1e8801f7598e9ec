"""What a training run reports: small, frozen, picklable dataclasses of plain data.

:meth:`netbuilder.train.engine.Trainer.run` yields these and nothing else. They hold
only numbers, strings, lists and dicts (no tensors, no Qt), so a GUI can pass them
across threads with a queued signal, a CLI can print them, and a later version can
run training in a subprocess and pickle them over a pipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunStarted:
    """Everything is set up; the first batch is next.

    ``config`` is the full settings dict; ``start_epoch`` is 0 for a new run and the
    last finished epoch for a resumed one; ``data`` describes the data set
    (name, task, input_shape, class_names, train and val sizes).
    """

    config: dict
    param_count: int
    trainable_count: int
    device: str
    run_dir: str
    epochs: int
    steps_per_epoch: int
    start_epoch: int = 0
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BatchEnd:
    """Progress within an epoch, coalesced to a few dozen a second.

    ``loss`` is the mean training loss over the batches since the previous
    ``BatchEnd`` (so a curve of them drops no batch), ``samples_per_s`` the speed
    over the same batches. The last batch of every epoch is always reported.
    """

    epoch: int
    step: int
    steps: int
    global_step: int
    loss: float
    lr: float
    samples_per_s: float


@dataclass(frozen=True)
class EpochEnd:
    """One finished epoch. ``val_loss`` is None without a validation set; ``metrics``
    holds the validation scalars (accuracy, top5_accuracy… or mse, mae, r2)."""

    epoch: int
    train_loss: float
    val_loss: float | None
    metrics: dict
    lr: float
    duration: float


@dataclass(frozen=True)
class EvalReport:
    """Validation details of a classification epoch, for the confusion matrix and
    the "worst mistakes" gallery.

    ``worst`` lists the most confidently wrong validation samples, most confident
    first, as dicts: ``index`` (into the full data set), ``true``, ``pred`` (class
    ids), ``confidence`` (the probability given to the wrong class) and ``x``, the
    sample itself, so a GUI in another process can show it without the data set.
    """

    epoch: int
    class_names: list
    confusion: list  # confusion[true][pred] = count
    precision: list
    recall: list
    worst: list
    f1: list = field(default_factory=list)  # per class (per tag); filled for tagging
    task: str = "classification"  # "tagging": worst holds sentences (words, true, pred, wrong positions)


@dataclass(frozen=True)
class NodeStats:
    """Per-node health, from one training batch per epoch: ``stats[node_id]`` has
    ``mean``, ``std`` and ``zeros`` (share of exact zeros, e.g. dead ReLUs) of the
    node's output, ``grad_norm`` of its parameters and ``update_ratio``, how far
    the epoch moved them (‖Δw‖/‖w‖); None where a node has no such thing."""

    epoch: int
    stats: dict


@dataclass(frozen=True)
class GradientWarning:
    """Gradients vanish or explode between two nodes (see :mod:`.gradient_health`);
    said once per run for each ``kind`` ("vanishing" / "exploding") and pair of nodes."""

    epoch: int
    kind: str
    nodes: list  # [the node that shows it, the node it is compared with]
    message: str


@dataclass(frozen=True)
class WeightsLoaded:
    """A new run starts from an earlier run's (or a checkpoint's) weights, mapped by
    node id: ``kept`` nodes took them, ``reset`` ones are initialised as usual."""

    source: str
    kept: list
    reset: list
    message: str


@dataclass(frozen=True)
class GraphChanged:
    """A resumed run trains an edited graph from ``from_epoch`` on: ``kept`` nodes
    carry on with their trained weights and optimizer state, ``reset`` ones start fresh."""

    version: int
    from_epoch: int
    kept: list
    reset: list
    message: str


@dataclass(frozen=True)
class CheckpointSaved:
    path: str
    kind: str  # "best" or "last"
    epoch: int


@dataclass(frozen=True)
class Finished:
    """The run ended normally, early-stopped, or because the user stopped it.

    ``best`` is the history row of the best epoch plus ``metric`` (the watched
    name) and ``value``; empty if no epoch finished. ``still_improving``: the run
    used every epoch it was given and the last one was its best, so more epochs
    would likely help.
    """

    best: dict
    run_dir: str
    history: list
    stopped_early: bool = False
    stopped_by_user: bool = False
    still_improving: bool = False

    ADVICE = "still improving at the last epoch: more epochs would likely help"


@dataclass(frozen=True)
class Failed:
    """The run could not start or broke. ``node_id`` names the node to point at
    when the failure belongs to one; ``epoch``/``step`` are 0 before training."""

    message: str
    node_id: str | None = None
    epoch: int = 0
    step: int = 0


Event = (RunStarted | GraphChanged | WeightsLoaded | BatchEnd | EpochEnd | EvalReport | NodeStats | GradientWarning
         | CheckpointSaved | Finished | Failed)
