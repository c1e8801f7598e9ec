"""Training settings: the graph file's ``training`` object, typed and validated.

Every setting has a default that trains the examples well, so ``{}`` is a valid
configuration once a data set is named. Reading a file collects nothing silently:
an unknown key or a bad value raises :class:`ConfigError` naming its full path
(``training.optimizer.lr``), the way graph errors name theirs. The file keeps only
what differs from the defaults, so a training object stays short and diffable.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ParamError
from .recipe import LOSSES, NEEDS_OTHER_DATA, OPTIMIZERS, SCHEDULERS, WEIGHTED_LOSSES

VERSION = 1
DEVICES = ("auto", "cpu", "cuda", "mps")


class ConfigError(ParamError):
    """A training setting was refused; ``field`` is its path in the file."""


def setting(default: Any = None, doc: str = "", choices: tuple = (), minimum: float | None = None,
            maximum: float | None = None, above: float | None = None, factory: Any = None,
            choice_docs: dict | None = None):
    """A dataclass field with what validation and the GUI's form need to know
    (``choice_docs``: a sentence per choice, for the form's list)."""
    meta = {"doc": doc, "choices": choices, "minimum": minimum, "maximum": maximum, "above": above,
            "choice_docs": choice_docs or {}}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class DataConfig:
    """Where samples come from and how they are split."""

    source: str = setting("", "Built-in data set name, or a CSV / .npz / image folder path "
                              "(relative to the graph file).")
    val_fraction: float = setting(0.2, "Share of the samples held out for validation.", minimum=0.0, maximum=0.9)
    stratify: bool = setting(True, "Keep class proportions equal in both parts (classification).")
    standardise: bool = setting(True, "Scale tabular features to zero mean and unit variance "
                                      "(statistics from the training part).")
    options: dict = setting(doc="Loader options: target, features, task, delimiter (CSV), "
                                "image_size, grayscale (image folders).", factory=dict)


@dataclass
class OptimizerConfig:
    name: str = setting("adam", "The update rule.", choices=OPTIMIZERS)
    lr: float = setting(1e-3, "Learning rate (the peak rate for one-cycle).", above=0.0)
    weight_decay: float = setting(0.0, "L2 penalty (decoupled for AdamW).", minimum=0.0)
    momentum: float = setting(0.9, "SGD momentum.", minimum=0.0, maximum=1.0)
    nesterov: bool = setting(False, "SGD: Nesterov momentum.")
    betas: list[float] = setting(doc="Adam/AdamW moment decay rates.", factory=lambda: [0.9, 0.999])


@dataclass
class SchedulerConfig:
    name: str = setting("none", "How the learning rate changes during training.", choices=SCHEDULERS)
    step_size: int = setting(10, "step: epochs between reductions.", minimum=1)
    gamma: float = setting(0.1, "step: factor applied at each reduction.", above=0.0, maximum=1.0)
    min_lr: float = setting(0.0, "cosine, plateau: the lowest learning rate.", minimum=0.0)
    pct_start: float = setting(0.3, "onecycle: share of the steps spent warming up.", above=0.0, maximum=1.0)
    factor: float = setting(0.1, "plateau: factor applied when the loss stalls.", above=0.0, maximum=1.0)
    patience: int = setting(5, "plateau: epochs without improvement before reducing.", minimum=0)


UNNAMED_LOSSES = {  # torch.nn losses that are not a choice, and why
    "BCELoss": "takes probabilities: the accuracy and the confidences would read a Sigmoid's output as "
               "logits; bce_with_logits is the same loss on logits",
    "AdaptiveLogSoftmaxWithLoss": "a final layer with weights of its own that returns the loss, "
                                  "not a loss on the graph's output",
    "LinearCrossEntropyLoss": "a final Linear fused with cross-entropy, with weights of its own; "
                              "end the graph with a Linear and use cross_entropy",
}
LOSS_DOCS = {
    "auto": "Cross-entropy for classes, MSE for values.",
    "cross_entropy": "Classes: softmax cross-entropy on logits.",
    "nll": "Classes: negative log-likelihood of log-probabilities (end the graph with LogSoftmax).",
    "focal": "Classes: cross-entropy that down-weights easy samples (focal γ).",
    "multi_margin": "Classes: multi-class hinge; the true class's score must lead the others' by the margin.",
    "multilabel_margin": "Classes: hinge on each sample's list of classes (here its one class); "
                         "equals multi_margin with margin 1.",
    "bce_with_logits": "Classes: each class's logit against a one-hot target (one-vs-rest); one logit for 2.",
    "soft_margin": "Classes: logistic loss on -1/+1 targets per class (one-vs-rest); one logit for 2.",
    "multilabel_soft_margin": "Classes: one-vs-rest logistic loss per class, averaged; for one label per "
                              "sample (all our data sets) it equals bce_with_logits, and takes class weights.",
    "kl_div": "Classes: KL divergence from the (smoothed) one-hot target to the softmax.",
    "mse": "Values (or one-hot classes): mean squared error.",
    "l1": "Values (or one-hot classes): mean absolute error.",
    "smooth_l1": "Values (or one-hot classes): squared below δ, absolute above.",
    "huber": "Values (or one-hot classes): squared below δ, δ·absolute above (smooth_l1 times δ).",
    "poisson_nll": "Counts: Poisson likelihood; the output is the rate itself (end the graph with Softplus), "
                   "targets at least 0.",
    "gaussian_nll": "Values: Gaussian likelihood of the output as the mean, with a fixed variance.",
    **{name: f"Refused: needs {need}." for name, need in NEEDS_OTHER_DATA.items()},
}


@dataclass
class LossConfig:
    """What training minimises. Every ``torch.nn`` loss is named here, and each either
    trains on a task netbuilder trains or is refused with what data it would need.

    The data sets give one input and one target per sample: a class id
    (classification) or a vector of values (regression). The engine and the script
    score the model's output *as it is* (arg-max or ``logit > 0`` for classes, the
    values themselves for mse/mae/r2), so a loss is offered only where that reading
    stays true:

    - Class ids: ``cross_entropy``, ``nll`` (after LogSoftmax), ``focal``,
      ``multi_margin`` (the multi-class hinge, with ``margin`` and ``margin_p``) and
      ``multilabel_margin`` (each sample's one class as its list of labels; with one
      label per sample it equals multi_margin's defaults). Class weights apply to all
      but ``multilabel_margin``, and to ``multilabel_soft_margin`` below; any other loss
      refuses them rather than ignore them.
    - Labels turned into a target for each class's score on its own (one-vs-rest):
      ``bce_with_logits``, ``multilabel_soft_margin`` (one-hot targets, class weights)
      and ``soft_margin`` (the same targets as -1/+1). Our data sets have one label per
      sample, never several, and then all three are the same logistic loss, offered so
      that a model written with either trains as written; a single logit serves two
      classes in all three.
    - Values, or one-hot targets for classes: ``mse``, ``l1``, ``smooth_l1`` and
      ``huber``, whose ``delta`` says where the error turns from squared to linear
      (smooth_l1's ``beta``; huber is smooth_l1 times ``delta``).
    - Values only: ``poisson_nll`` reads the output as the rate itself
      (``log_input=False``), so the scores compare predicted and true counts; the graph
      must end in a layer whose output cannot be negative (Softplus), and the targets
      must be at least 0 (the ``counts`` built-in). Torch's default, a log-rate output,
      is not offered: mse, mae and r2 would then compare logarithms with counts.
      ``gaussian_nll`` reads the output as the mean, with one fixed ``variance`` for
      every value: a variance predicted per sample would need a second output, which
      the scores and the one-output check of training cannot take. With a fixed
      variance it is MSE / (2·variance) + ½·log(variance). ``full`` adds the constant
      terms to either (½·log 2π; Stirling's term for counts above 1), so the loss is
      the true negative log-likelihood; the gradients stay the same.
    - Refused, whatever the data (:data:`recipe.NEEDS_OTHER_DATA` says what each
      needs, and the message quotes it): ``cosine_embedding``, ``margin_ranking``,
      ``hinge_embedding``, ``triplet_margin`` and ``triplet_margin_with_distance``
      compare pairs or triplets of samples; ``ctc`` aligns per-time-step scores with a
      target sequence.
    - Not named at all: the classes in :data:`UNNAMED_LOSSES`, for the reasons given there.
    """

    name: str = setting("auto", "auto: cross-entropy for classes, MSE for values.", choices=LOSSES,
                        choice_docs=LOSS_DOCS)
    label_smoothing: float = setting(0.0, "Share of the target spread over the other classes.",
                                     minimum=0.0, maximum=1.0)
    class_weights: list[float] | None = setting(None, "One weight per class for imbalanced data.")
    focal_gamma: float = setting(2.0, "focal: how much easy samples are down-weighted.", minimum=0.0)
    delta: float = setting(1.0, "huber, smooth_l1: the error size where the loss turns from squared to linear.",
                           above=0.0)
    margin: float = setting(1.0, "multi_margin: how far the true class's score must lead the others'.",
                            minimum=0.0)
    margin_p: int = setting(1, "multi_margin: 1 for the hinge, 2 for its square.", minimum=1, maximum=2)
    variance: float = setting(1.0, "gaussian_nll: the variance assumed for every target value.", above=0.0)
    full: bool = setting(False, "poisson_nll, gaussian_nll: add the constant terms (the true negative "
                                "log-likelihood; the same gradients).")

    def check(self, path: str) -> None:
        """Refuse a loss that no data set here can feed, saying what it needs, and class
        weights that the loss would silently ignore."""
        if self.name in NEEDS_OTHER_DATA:
            raise ConfigError(f"{path}.name", f"{self.name} needs {NEEDS_OTHER_DATA[self.name]}; netbuilder's "
                                              "data sets give one input and one target per sample: use "
                                              "cross_entropy for classes or mse for values")
        if self.class_weights is not None and self.name not in WEIGHTED_LOSSES:
            raise ConfigError(f"{path}.class_weights", f"the {self.name} loss takes no class weights (those that "
                                                       f"do: {', '.join(WEIGHTED_LOSSES[1:])})")


@dataclass
class EarlyStoppingConfig:
    """Also chooses the best checkpoint, even when ``patience`` is 0 (never stop early)."""

    metric: str = setting("val_loss", "What to watch: val_loss, train_loss, accuracy, r2…")
    patience: int = setting(0, "Epochs without improvement before stopping; 0 never stops.", minimum=0)
    mode: str = setting("auto", "Whether lower or higher is better; auto guesses from the name.",
                        choices=("auto", "min", "max"))
    min_delta: float = setting(0.0, "Smallest change that counts as an improvement.", minimum=0.0)


@dataclass
class MetricsConfig:
    top_k: list[int] = setting(doc="Also report top-k accuracy for these k (when k < classes).",
                               factory=lambda: [5])
    worst: int = setting(16, "How many of the most confident validation mistakes to keep.", minimum=0)


RECIPES = ("supervised", "gan")
NOISE = ("normal", "uniform")


@dataclass
class GanOptimizerConfig:
    """Adam for one network of a GAN; the defaults are the DCGAN paper's, which work."""

    lr: float = setting(2e-4, "Learning rate.", above=0.0)
    betas: list[float] = setting(doc="Adam's moment decay rates.", factory=lambda: [0.5, 0.999])

    def check(self, path: str) -> None:
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ConfigError(f"{path}.betas", f"expected two numbers in [0, 1), got {self.betas}")


@dataclass
class GanConfig:
    """The ``gan`` recipe: which Output node names which network, the noise, the steps.

    The real samples come from ``training.data`` (a built-in image set or an image
    folder), scaled to the generator's output range (Tanh: [-1, 1])."""

    generator: str = setting("generator", "Id of the Output node that ends the generator.")
    discriminator: str = setting("discriminator", "Id of the Output node that ends the discriminator.")
    latent_size: int | None = setting(None, "Length of the noise vector; empty: the generator Input's size.",
                                      minimum=1)
    noise: str = setting("normal", "How the noise is drawn.", choices=NOISE,
                         choice_docs={"normal": "Standard normal, N(0, 1).", "uniform": "Uniform in [-1, 1]."})
    d_steps: int = setting(1, "Discriminator steps for every generator step (k).", minimum=1)
    label_smoothing: float = setting(0.0, "Real samples are labelled 1 - this (one-sided smoothing; 0.1 often "
                                          "helps when the discriminator wins).", minimum=0.0, maximum=0.5)
    samples: int = setting(64, "Generated samples in the grid shown every epoch (from a fixed noise batch).",
                           minimum=1, maximum=256)
    generator_optimizer: GanOptimizerConfig = field(default_factory=GanOptimizerConfig)
    discriminator_optimizer: GanOptimizerConfig = field(default_factory=GanOptimizerConfig)

    def check(self, path: str) -> None:
        if self.generator == self.discriminator:
            raise ConfigError(f"{path}.discriminator", f"the generator and the discriminator are both "
                                                       f"{self.generator!r}: name two different Output nodes")


@dataclass
class TrainingConfig:
    """All training settings of a graph (see each group's fields for their meaning)."""

    data: DataConfig = field(default_factory=DataConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    epochs: int = setting(10, "Passes over the training data.", minimum=1)
    batch_size: int = setting(32, "Samples per optimisation step.", minimum=1)
    grad_clip: float | None = setting(None, "Clip the gradient norm to this value.", above=0.0)
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    seed: int = setting(0, "Seeds the split, the initial weights, shuffling and dropout.", minimum=0)
    device: str = setting("auto", "auto picks CUDA, then Apple MPS, then the CPU.", choices=DEVICES)
    amp: bool = setting(False, "Mixed precision (CUDA only; ignored elsewhere).")
    freeze: list[str] = setting(doc="Ids of nodes whose parameters stay fixed (fine-tuning).", factory=list)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    recipe: str = setting("supervised", "What kind of training: one network on targets, or a GAN's two "
                                        "networks against each other.", choices=RECIPES)
    gan: GanConfig = field(default_factory=GanConfig)

    @classmethod
    def from_dict(cls, data: dict | None, path: str = "training") -> TrainingConfig:
        """Read a file's ``training`` object; raises :class:`ConfigError` naming the field."""
        data = dict(data or {})
        version = data.pop("version", VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ConfigError(f"{path}.version", f"expected a positive integer, got {version!r}")
        if version > VERSION:
            raise ConfigError(f"{path}.version", f"these settings are version {version}; this netbuilder "
                                                 f"reads up to {VERSION} — please upgrade")
        return _read(cls, data, path)

    def to_dict(self, full: bool = False) -> dict:
        """The file form: the version plus what differs from the defaults (everything
        with ``full``, as written to a run's ``config.json``)."""
        return {"version": VERSION, **_write(self, full)}


def _read(cls, data: Any, path: str):
    if not isinstance(data, dict):
        raise ConfigError(path, f"expected an object, got {_describe(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{path}.{unknown[0]}", f"unknown setting (known: {', '.join(fields)})")
    hints = typing.get_type_hints(cls)
    values = {name: _value(hints[name], fields[name], data[name], f"{path}.{name}")
              for name in fields if name in data}
    obj = cls(**values)
    if hasattr(obj, "check"):  # a rule about several fields, or one that no data set can meet
        obj.check(path)
    return obj


def _value(kind: Any, spec: dataclasses.Field, value: Any, path: str) -> Any:
    if dataclasses.is_dataclass(kind):
        return _read(kind, value, path)
    args = typing.get_args(kind)
    if type(None) in args:  # an optional setting
        if value is None:
            return None
        kind = next(a for a in args if a is not type(None))
    if typing.get_origin(kind) is list:
        if not isinstance(value, list):
            raise ConfigError(path, f"expected a list, got {_describe(value)}")
        item = typing.get_args(kind)[0]
        return [_scalar(item, spec, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if kind is dict:
        if not isinstance(value, dict):
            raise ConfigError(path, f"expected an object, got {_describe(value)}")
        return dict(value)
    return _scalar(kind, spec, value, path)


def _scalar(kind: type, spec: dataclasses.Field, value: Any, path: str) -> Any:
    meta = spec.metadata
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, f"expected true or false, got {_describe(value)}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(path, f"expected a string, got {_describe(value)}")
        if meta.get("choices") and value not in meta["choices"]:
            raise ConfigError(path, f"expected one of {', '.join(meta['choices'])}; got {value!r}")
        return value
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int and not (number and float(value).is_integer()):
        raise ConfigError(path, f"expected an integer, got {_describe(value)}")
    if kind is float and not (number and math.isfinite(value)):
        raise ConfigError(path, f"expected a number, got {_describe(value)}")
    value = kind(value)
    low, high, above = meta.get("minimum"), meta.get("maximum"), meta.get("above")
    if (low is not None and value < low) or (high is not None and value > high) or \
            (above is not None and value <= above):
        raise ConfigError(path, f"expected a number {_range(low, high, above)}, got {value!r}")
    return value


def _range(low, high, above) -> str:
    bottom = f"> {above}" if above is not None else f">= {low}" if low is not None else ""
    return " and ".join(filter(None, [bottom, f"<= {high}" if high is not None else ""]))


def _describe(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r}"


def _write(obj: Any, full: bool) -> dict:
    out = {}
    default = type(obj)()
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            nested = _write(value, full)
            if nested or full:
                out[f.name] = nested
        elif full or value != getattr(default, f.name):
            out[f.name] = value.copy() if isinstance(value, (list, dict)) else value
    return out
