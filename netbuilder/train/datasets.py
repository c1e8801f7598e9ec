"""The :class:`DataSet` type and the built-in data sets.

Built-ins never download anything: the tabular ones and ``digits`` ship with
scikit-learn, the rest are generated from a seed. Each is small enough (a few
thousand samples at most) that an epoch trains in well under a second on a
CPU, so a beginner sees a network learn before losing interest.

Their metadata lives in one table, so :func:`builtin_info` (printed by
``netbuilder data``) answers without building any data. scikit-learn is
imported only when a set built from it is loaded: it takes about a second to
import, which the GUI and CLI should not pay at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from netbuilder.core.errors import NetbuilderError

from . import tagging

CLASSIFICATION = "classification"
REGRESSION = "regression"
TAGGING = "tagging"  # one class per token: x (n, T) token ids, y (n, T) tag ids, padding ignored
TASKS = (CLASSIFICATION, REGRESSION, TAGGING)
KINDS = ("image", "tabular", "sequence")


class DataError(NetbuilderError):
    """Data could not be loaded or used; the message names the file, line and
    column (or the data set) so the user knows what to fix."""


@dataclass
class DataSet:
    """Samples and targets in the layout a network consumes, plus what a GUI
    needs to show them.

    ``x`` is ``(n, *input_shape)``: float32, or int64 for token sequences
    that feed an ``Embedding``. ``y`` holds int64 class indices ``(n,)`` for
    classification and float32 ``(n, k)`` for regression, so a loss function
    can be chosen from ``task`` alone. ``kind`` tells the GUI how to preview a
    sample (as a picture for ``"image"``).
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    task: str
    class_names: list[str]
    kind: str
    description: str = ""
    vocabulary: list[str] | None = None  # token data: the words, id i is vocabulary[i]
    sentences: list | None = None  # token data: the (words, tags) read, before encoding

    def __post_init__(self):
        if self.task not in TASKS:
            raise DataError(f"{self.name}: task must be one of {TASKS}, got {self.task!r}")
        if self.kind not in KINDS:
            raise DataError(f"{self.name}: kind must be one of {KINDS}, got {self.kind!r}")
        if len(self.x) != len(self.y):
            raise DataError(
                f"{self.name}: {len(self.x)} samples in x but {len(self.y)} targets in y"
            )
        if self.task == CLASSIFICATION and self.y.ndim != 1:
            raise DataError(f"{self.name}: class targets must be 1-D, got shape {self.y.shape}")
        if self.task == TAGGING and self.y.shape != self.x.shape:
            raise DataError(f"{self.name}: tag targets must have the shape of the token ids {self.x.shape}, "
                            f"got {self.y.shape}")
        if self.task == REGRESSION and self.y.ndim != 2:
            raise DataError(f"{self.name}: regression targets must be (n, k), got {self.y.shape}")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, what the graph's Input node must declare."""
        return tuple(self.x.shape[1:])

    @property
    def dtype(self) -> str:
        """``"float32"`` or ``"int64"`` (token ids)."""
        return str(self.x.dtype)

    @property
    def num_classes(self) -> int:
        """Number of classes; 0 for regression."""
        return len(self.class_names)

    @property
    def output_size(self) -> int:
        """Width the network's last layer needs: one logit per class, or one
        value per regression target."""
        return int(self.y.shape[1]) if self.task == REGRESSION else self.num_classes

    def subset(self, indices) -> DataSet:
        """The samples at ``indices``, keeping every other attribute."""
        indices = np.asarray(indices, dtype=np.int64)
        sentences = None if self.sentences is None else [self.sentences[i] for i in indices]
        return replace(self, x=self.x[indices], y=self.y[indices], sentences=sentences)


@dataclass(frozen=True)
class _Builtin:
    """Metadata of a built-in data set. Its ``(x, y)`` come from the function
    of the same name in :mod:`script_data`, the very code an exported training
    script carries, so the app and the script train on identical arrays."""

    name: str
    input_shape: tuple[int, ...]
    task: str
    n_samples: int
    class_names: tuple[str, ...]
    kind: str
    description: str


_DIGITS = tuple(str(d) for d in range(10))
TAGGED_LENGTH = 20  # pos_tags: the Input's example length; the sentences vary (3 to 27 words)
TAGGED_TAGS = ("ADJ", "ADP", "ADV", "CONJ", "DET", "NOUN", "PRON", "PROPN", "PUNCT", "VERB")
_BUILTINS = {
    b.name: b
    for b in (
        _Builtin("digits", (1, 8, 8), CLASSIFICATION, 1797, _DIGITS, "image",
                 "8x8 handwritten digits from scikit-learn, pixels in [0, 1]"),
        _Builtin("iris", (4,), CLASSIFICATION, 150, ("setosa", "versicolor", "virginica"),
                 "tabular", "Iris flowers: 4 standardised measurements, 3 species"),
        _Builtin("wine", (13,), CLASSIFICATION, 178, ("class_0", "class_1", "class_2"),
                 "tabular", "Wines: 13 standardised chemical features, 3 cultivars"),
        _Builtin("breast_cancer", (30,), CLASSIFICATION, 569, ("malignant", "benign"),
                 "tabular", "Breast tumours: 30 standardised cell features, 2 diagnoses"),
        _Builtin("moons", (2,), CLASSIFICATION, 1000, ("upper", "lower"), "tabular",
                 "Two interleaving half-moons of noisy 2-D points"),
        _Builtin("circles", (2,), CLASSIFICATION, 1000, ("outer", "inner"), "tabular",
                 "A noisy circle inside another, 2-D points"),
        _Builtin("spirals", (2,), CLASSIFICATION, 900, ("0", "1", "2"), "tabular",
                 "Three interleaved noisy spiral arms, 2-D points"),
        _Builtin("sine", (1,), REGRESSION, 1000, (), "tabular",
                 "Regression: y = sin(x) + noise for x in [-2pi, 2pi]"),
        _Builtin("counts", (2,), REGRESSION, 1000, (), "tabular",
                 "Regression of counts: y ~ Poisson(exp(0.8a - 0.5b + 0.5)) for 2-D points (a, b)"),
        _Builtin("waveforms", (32, 1), CLASSIFICATION, 1200,
                 ("sine", "square", "sawtooth", "triangle"), "sequence",
                 "Noisy waves of random frequency, phase and amplitude, 32 steps; "
                 "name the wave shape"),
        _Builtin("running_sum", (20, 1), CLASSIFICATION, 2000, ("negative", "positive"),
                 "sequence", "Sequences of 20 tokens of +1/-1; is their sum positive?"),
        _Builtin("pos_tags", (TAGGED_LENGTH,), TAGGING, 2000, TAGGED_TAGS, "sequence",
                 "Part-of-speech tagging: 2000 English-like sentences generated from a small grammar "
                 "(not real text), one tag per word; some words take two tags"),
    )
}


def from_sentences(name: str, sentences: list, description: str) -> DataSet:
    """A tagging data set of ``(words, tags)`` sentences, encoded with a vocabulary of them
    all (what ``netbuilder data`` shows); training re-encodes them with the vocabulary of
    its training part (:func:`tokens_data.split_tagging`)."""
    vocabulary, tags = tagging.build_vocabulary(sentences)
    x, y = tagging.encode(sentences, vocabulary, tags)
    return DataSet(name, x, y, TAGGING, tags, "sequence", description, vocabulary=vocabulary, sentences=sentences)


def builtin_names() -> list[str]:
    """Names of the built-in data sets, in display order."""
    return list(_BUILTINS)


def builtin_info() -> list[dict]:
    """One dict per built-in (name, input_shape, task, n_samples, classes,
    kind, description), without building any data."""
    return [
        {
            "name": b.name,
            "input_shape": b.input_shape,
            "task": b.task,
            "n_samples": b.n_samples,
            "classes": list(b.class_names),
            "kind": b.kind,
            "description": b.description,
        }
        for b in _BUILTINS.values()
    ]


def load_builtin(name: str, seed: int = 0) -> DataSet:
    """Build the built-in data set ``name``. ``seed`` drives the generated
    sets; the scikit-learn ones are fixed data and ignore it."""
    if name not in _BUILTINS:
        raise DataError(f"unknown data set {name!r}; built-ins are: {', '.join(_BUILTINS)}")
    b = _BUILTINS[name]
    if b.task == TAGGING:
        return from_sentences(b.name, tagging.grammar_sentences(b.n_samples, seed), b.description)
    from . import script_data  # imports scikit-learn: only when a set is built

    x, y = getattr(script_data, name)(seed)
    return DataSet(b.name, x, y, b.task, list(b.class_names), b.kind, b.description)
