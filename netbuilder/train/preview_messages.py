"""What the GUI and the preview process send each other: plain frozen dataclasses.

No torch here (numpy arrays only), so the GUI can unpickle a result without
loading PyTorch, and the window's start-up imports none of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class NodePicture:
    """``kind`` is ``maps`` (data: maps × h × w), ``heat`` (steps × features),
    ``bars`` (values), ``scalar`` (one value) or ``empty``. ``labels`` name the bars
    at an output with class names, ``probs`` are then their softmax."""

    shape: tuple
    kind: str
    data: np.ndarray
    stats: dict
    labels: list[str] | None = None
    probs: np.ndarray | None = None
    channels: int = 0  # how many maps the output has (data keeps the first MAPS)


@dataclass(frozen=True)
class PreviewRequest:
    """What to preview. ``sample`` indexes the data set's validation part (the
    training part without one); None asks for a random tensor. ``weights`` is a
    checkpoint or run folder; None keeps the preview's own random weights."""

    number: int
    graph: str  # the document as saved JSON
    sample: int | None = 0
    weights: str | None = None
    base_dir: str | None = None


@dataclass(frozen=True)
class PreviewResult:
    """Pictures by node id, and what they show. ``samples`` is how many samples the
    picker can choose from (0: no data set); ``error`` names what stopped the
    pass, ``error_node`` the node it happened in."""

    number: int
    pictures: dict[str, NodePicture] = field(default_factory=dict)
    sample: str = ""
    samples: int = 0
    weights: str = ""
    error: str | None = None
    error_node: str | None = None
    seconds: float = 0.0
