"""A node's output for one sample, boiled down to a small picture and its statistics.

The canvas draws dozens of these at once and receives them from another
process, so each is a few kilobytes of plain numpy, never the tensor itself:
a ``(C, H, W)`` output keeps its first feature maps (each at most
:data:`MAP_SIDE` pixels a side), a ``(T, F)`` one a heat strip, a vector its
values (pooled to :data:`BARS` at most), a scalar its value. The statistics
are those of the whole output, NaN and inf counted apart, so a picture of a
broken node still says what broke.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .preview_messages import NodePicture

MAPS = 16  # feature maps kept: two rows of 8 on a card
MAP_SIDE = 32
HEAT = (96, 48)  # the longest strip kept: steps by features
BARS = 128


def statistics(value: torch.Tensor) -> dict:
    """min / max / mean / std over the finite values, share of exact zeros, NaN and inf counts."""
    v = value.detach().double().flatten()
    count = v.numel()
    nan = int(torch.isnan(v).sum())
    inf = int(torch.isinf(v).sum())
    finite = v[torch.isfinite(v)]
    stats = {"count": count, "nan": nan, "inf": inf,
             "zeros": float((v == 0).sum()) / count if count else 0.0}
    if finite.numel():
        stats.update(min=float(finite.min()), max=float(finite.max()), mean=float(finite.mean()),
                     std=float(finite.std(unbiased=False)) if finite.numel() > 1 else 0.0)
    else:
        stats.update(min=math.nan, max=math.nan, mean=math.nan, std=math.nan)
    return stats


def _clean(value: torch.Tensor) -> torch.Tensor:
    """Finite values for drawing: NaN as 0, ±inf as the largest finite float."""
    return torch.nan_to_num(value.detach().float(), nan=0.0)


def _pool2d(value: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``(N, H, W)`` shrunk to at most ``size`` (mean of each patch); never enlarged."""
    h, w = value.shape[-2:]
    target = (min(h, size[0]), min(w, size[1]))
    if target == (h, w):
        return value
    return F.adaptive_avg_pool2d(value.unsqueeze(0), target)[0]


def _pool1d(value: torch.Tensor, size: int) -> torch.Tensor:
    if value.numel() <= size:
        return value
    return F.adaptive_avg_pool1d(value.view(1, 1, -1), size).view(-1)


def picture(value: torch.Tensor, class_names: list[str] | None = None) -> NodePicture:
    """The picture of one sample's output ``value`` (no batch dimension)."""
    shape = tuple(value.shape)
    stats = statistics(value) if value.numel() else {"count": 0, "nan": 0, "inf": 0, "zeros": 0.0}
    if not value.numel():
        return NodePicture(shape, "empty", np.zeros(0, np.float32), stats)
    clean = _clean(value)
    while clean.dim() > 3:  # (C, D, H, W): the middle slice of every extra dimension
        clean = clean.select(1, clean.shape[1] // 2)
    if clean.dim() == 3 and clean.shape[1] * clean.shape[2] == 1:
        clean = clean.reshape(-1)  # (C, 1, 1): a vector of channels
    if clean.dim() == 0:
        return NodePicture(shape, "scalar", clean.reshape(1).numpy(), stats)
    if clean.dim() == 1:
        labels = list(class_names) if class_names and len(class_names) == clean.numel() else None
        probs = torch.softmax(clean.double(), 0).float().numpy() if labels else None
        return NodePicture(shape, "bars", _pool1d(clean, BARS).numpy(), stats, labels, probs)
    if clean.dim() == 2:
        return NodePicture(shape, "heat", _pool2d(clean.unsqueeze(0), HEAT)[0].numpy(), stats)
    maps = _pool2d(clean[:MAPS], (MAP_SIDE, MAP_SIDE))
    return NodePicture(shape, "maps", maps.numpy(), stats, channels=clean.shape[0])
