"""Painting a :class:`~netbuilder.train.pictures.NodePicture`: the card's small one and the larger view.

Values become colours through one of two ramps: a diverging blue–white–red
ramp centred on zero when the output has both signs (a convolution's), a dark
to bright one when it has one (a ReLU's, an image's), so zero always looks the
same. Pixels are drawn unsmoothed: an 8×8 feature map stays 64 crisp squares.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPen

from ..canvas.theme import CanvasTheme, fonts

_SEQUENTIAL = np.array([(13, 8, 35), (84, 15, 109), (187, 55, 84), (249, 142, 9), (252, 255, 164)], float)
_DIVERGING = np.array([(33, 102, 172), (146, 197, 222), (247, 247, 247), (244, 165, 130), (178, 24, 43)], float)


def _ramp(anchors: np.ndarray) -> np.ndarray:
    """256 colours interpolated through the anchors, as 0xffRRGGBB words."""
    t = np.linspace(0, len(anchors) - 1, 256)
    low = np.floor(t).astype(int).clip(0, len(anchors) - 2)
    frac = (t - low)[:, None]
    rgb = (anchors[low] * (1 - frac) + anchors[low + 1] * frac).round().astype(np.uint32)
    return (0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(np.uint32)


SEQUENTIAL, DIVERGING = _ramp(_SEQUENTIAL), _ramp(_DIVERGING)


def colour_scale(stats: dict) -> tuple[float, float, np.ndarray]:
    """``(low, high, ramp)`` for an output with these statistics."""
    low, high = stats.get("min", 0.0), stats.get("max", 0.0)
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 1.0, SEQUENTIAL
    if low < 0 < high:
        edge = max(-low, high)
        return -edge, edge, DIVERGING
    if high == low:
        return low - 1.0, high + 1.0, SEQUENTIAL
    return low, high, SEQUENTIAL


def image_of(values: np.ndarray, low: float, high: float, ramp: np.ndarray) -> QImage:
    """A 2-D array as a QImage, one pixel per value."""
    index = ((np.asarray(values, np.float64) - low) / (high - low) * 255).clip(0, 255).astype(np.uint8)
    words = np.ascontiguousarray(ramp[index])
    h, w = words.shape
    return QImage(words.tobytes(), w, h, 4 * w, QImage.Format.Format_RGB32).copy()  # own the pixels


def map_grid(count: int, rect: QRectF, aspect: float) -> tuple[int, int, float]:
    """Columns, rows and cell size placing ``count`` maps of this aspect (w/h) in ``rect``."""
    best = (1, count, 0.0)
    for columns in range(1, count + 1):
        rows = math.ceil(count / columns)
        cell = min(rect.width() / columns / max(aspect, 1e-6), rect.height() / rows)
        if cell > best[2]:
            best = (columns, rows, cell)
    return best


def draw_maps(painter: QPainter, rect: QRectF, picture, limit: int) -> None:
    maps = picture.data[:limit]
    low, high, ramp = colour_scale(picture.stats)
    h, w = maps.shape[1:]
    columns, _, cell = map_grid(len(maps), rect, w / h)
    gap = 1.0 if cell > 6 else 0.0
    for i, values in enumerate(maps):
        x = rect.x() + (i % columns) * cell * w / h
        y = rect.y() + (i // columns) * cell
        painter.drawImage(QRectF(x, y, cell * w / h - gap, cell - gap), image_of(values, low, high, ramp))


def draw_heat(painter: QPainter, rect: QRectF, picture) -> None:
    """Steps left to right, features top to bottom."""
    low, high, ramp = colour_scale(picture.stats)
    painter.drawImage(rect, image_of(picture.data.T, low, high, ramp))


def draw_bars(painter: QPainter, rect: QRectF, picture, theme: CanvasTheme) -> None:
    """One bar per value from a zero line; an output's most likely class in green."""
    values = np.asarray(picture.data, np.float64)
    low, high = min(0.0, float(values.min())), max(0.0, float(values.max()))
    span = (high - low) or 1.0
    zero = rect.bottom() - (0.0 - low) / span * rect.height()
    width = rect.width() / len(values)
    best = int(values.argmax()) if picture.labels else -1
    painter.setPen(Qt.PenStyle.NoPen)
    for i, v in enumerate(values):
        top = rect.bottom() - (v - low) / span * rect.height()
        painter.setBrush(theme.ok if i == best else (theme.shape if v >= 0 else theme.warning))
        painter.drawRect(QRectF(rect.x() + i * width + (0.5 if width > 3 else 0), min(top, zero),
                                max(width - (1 if width > 3 else 0), 0.6), max(abs(zero - top), 0.6)))
    painter.setPen(QPen(theme.muted, 0.8))
    painter.drawLine(QPointF(rect.left(), zero), QPointF(rect.right(), zero))


def number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.2e}"


def caption(picture) -> str:
    """The line under the small picture: what it would take a hover to learn first."""
    stats = picture.stats
    if stats.get("nan") or stats.get("inf"):
        return "  ".join(part for part in (f"NaN {stats['nan']}" if stats["nan"] else "",
                                           f"inf {stats['inf']}" if stats["inf"] else "") if part)
    if picture.kind == "scalar":
        return number(float(picture.data[0]))
    if picture.labels:
        best = int(np.argmax(picture.data))
        return f"→ {picture.labels[best]}  {picture.probs[best]:.0%}"
    if picture.kind == "empty":
        return "empty"
    return f"{number(stats['min'])} … {number(stats['max'])}"


def draw_picture(painter: QPainter, rect: QRectF, picture, theme: CanvasTheme, large: bool = False) -> None:
    """The picture itself (no frame, no caption) inside ``rect``."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    if picture.kind == "maps":
        draw_maps(painter, rect, picture, len(picture.data))
    elif picture.kind == "heat":
        draw_heat(painter, rect, picture)
    elif picture.kind == "bars":
        draw_bars(painter, rect, picture, theme)
    elif picture.kind == "scalar":
        painter.setFont(fonts().title)
        painter.setPen(theme.text)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, number(float(picture.data[0])))
    painter.restore()



def has_trouble(picture) -> bool:
    """The output holds NaN or inf."""
    return bool(picture.stats.get("nan") or picture.stats.get("inf"))
