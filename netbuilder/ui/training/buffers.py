"""Growing numpy buffers for live curves.

A curve that gains a point per batch would cost O(n) per append with
``np.append``; a preallocated array that doubles when full makes appends
amortised O(1), and :meth:`SeriesBuffer.view` hands pyqtgraph a slice (no
copy) of exactly the filled part.
"""

from __future__ import annotations

import numpy as np


class SeriesBuffer:
    """``(x, y)`` points in two float64 arrays whose capacity doubles when full."""

    def __init__(self, capacity: int = 1024):
        self._x = np.empty(max(1, capacity), dtype=np.float64)
        self._y = np.empty_like(self._x)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return len(self._x)

    def _reserve(self, needed: int) -> None:
        if needed <= len(self._x):
            return
        capacity = len(self._x)
        while capacity < needed:
            capacity *= 2
        for name in ("_x", "_y"):
            grown = np.empty(capacity, dtype=np.float64)
            grown[: self._n] = getattr(self, name)[: self._n]
            setattr(self, name, grown)

    def append(self, x: float, y: float) -> None:
        self._reserve(self._n + 1)
        self._x[self._n] = x
        self._y[self._n] = y
        self._n += 1

    def extend(self, xs, ys) -> None:
        xs = np.asarray(xs, dtype=np.float64).ravel()
        ys = np.asarray(ys, dtype=np.float64).ravel()
        self._reserve(self._n + len(xs))
        self._x[self._n: self._n + len(xs)] = xs
        self._y[self._n: self._n + len(ys)] = ys
        self._n += len(xs)

    def clear(self) -> None:
        self._n = 0

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The filled part (views into the buffer, valid until the next append)."""
        return self._x[: self._n], self._y[: self._n]

    def last(self) -> tuple[float, float] | None:
        return (float(self._x[self._n - 1]), float(self._y[self._n - 1])) if self._n else None


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Debiased exponential moving average (TensorBoard's "smoothing").

    ``weight`` in [0, 1): 0 returns the values unchanged. Vectorised with
    ``scipy.signal.lfilter`` so re-smoothing a million points after the slider
    moves takes milliseconds. Non-finite values are carried as the previous
    smoothed value so one NaN does not blank the rest of the curve.
    """
    values = np.asarray(values, dtype=np.float64)
    if weight <= 0 or len(values) == 0:
        return values.copy()
    from scipy.signal import lfilter

    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    mask = finite.astype(np.float64)
    num = lfilter([1.0 - weight], [1.0, -weight], clean)
    den = lfilter([1.0 - weight], [1.0, -weight], mask)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den == 0] = np.nan
    return out


class EmaTracker:
    """Incremental form of :func:`ema` for points arriving one by one."""

    def __init__(self, weight: float):
        self.weight = weight
        self._num = 0.0
        self._den = 0.0

    def reset(self, weight: float | None = None) -> None:
        if weight is not None:
            self.weight = weight
        self._num = self._den = 0.0

    def push(self, value: float) -> float:
        w = self.weight
        if value == value and abs(value) != float("inf"):
            self._num = w * self._num + (1 - w) * value
            self._den = w * self._den + (1 - w)
        else:
            self._num *= w
            self._den *= w
        if w <= 0:
            return value
        return self._num / self._den if self._den else float("nan")
