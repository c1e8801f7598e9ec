"""Growing numpy buffers for live curves, and what is drawn from them.

A curve that gains a point per batch would cost O(n) per append with
``np.append``; a preallocated array that doubles when full makes appends
amortised O(1), and :meth:`SeriesBuffer.view` gives a slice (no copy) of
exactly the filled part. :class:`PeakLevels` keeps that series' minima and
maxima at every power-of-two bin size, so a frame draws a million points from
two per pixel column without looking at the million.
"""

from __future__ import annotations

import math

import numpy as np


class SeriesBuffer:
    """``(x, y)`` points in float64 arrays whose capacity doubles when full.

    ``x_of``: another buffer whose x this one shares, point for point (a
    curve derived from it, like the smoothed batch loss): only y is stored, a
    million points' memory less. It must be filled first, and the x given
    here must be its own.
    """

    def __init__(self, capacity: int = 1024, x_of: SeriesBuffer | None = None):
        self._x_of = x_of
        self._y = np.empty(max(1, capacity), dtype=np.float64)
        self._x = None if x_of is not None else np.empty_like(self._y)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return len(self._y)

    def _reserve(self, needed: int) -> None:
        if needed <= len(self._y):
            return
        capacity = len(self._y)
        while capacity < needed:
            capacity *= 2
        for name in ("_y",) if self._x is None else ("_x", "_y"):
            grown = np.empty(capacity, dtype=np.float64)
            grown[: self._n] = getattr(self, name)[: self._n]
            setattr(self, name, grown)

    def _all_x(self) -> np.ndarray:
        return self._x if self._x is not None else self._x_of._all_x()

    def append(self, x: float, y: float) -> None:
        self._reserve(self._n + 1)
        if self._x is not None:
            self._x[self._n] = x
        self._y[self._n] = y
        self._n += 1

    def extend(self, xs, ys) -> None:
        ys = np.asarray(ys, dtype=np.float64).ravel()
        self._reserve(self._n + len(ys))
        if self._x is not None:
            self._x[self._n: self._n + len(ys)] = np.asarray(xs, dtype=np.float64).ravel()
        self._y[self._n: self._n + len(ys)] = ys
        self._n += len(ys)

    def clear(self) -> None:
        self._n = 0

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The filled part (views into the buffer, valid until the next append)."""
        return self._all_x()[: self._n], self._y[: self._n]

    def last(self) -> tuple[float, float] | None:
        return (float(self._all_x()[self._n - 1]), float(self._y[self._n - 1])) if self._n else None


class PeakLevels:
    """The lowest and highest ``y`` of a growing series in bins of 2**k points.

    Drawing n points on a plot w pixels wide needs only each pixel column's
    extremes ("peak" downsampling, which keeps every spike). Found from the raw
    points, that is O(n) work per frame; here level k holds the extremes of
    every complete bin of 2**k points, new bins made from the level below as
    points arrive, so a frame costs O(w) and a point amortised O(1).

    Levels finer than :attr:`BASE` are not kept: they are asked for only when
    at most 2**BASE points share a column, few enough to take from the raw
    points each frame, and keeping them would cost 15 times the memory.
    """

    BASE = 4

    def __init__(self):
        self._lo: dict[int, np.ndarray] = {}  # k -> minima of the complete bins of 2**k points
        self._hi: dict[int, np.ndarray] = {}

    def clear(self) -> None:
        self._lo.clear()
        self._hi.clear()

    def _level(self, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Extremes of every complete bin of 2**k points of ``y`` (k >= BASE),
        extended by the bins completed since the last call."""
        lo, hi = self._lo.get(k, _EMPTY), self._hi.get(k, _EMPTY)
        complete = len(y) >> k
        if len(lo) < complete:
            if k == self.BASE:
                raw = y[len(lo) << k: complete << k]
                more_lo, more_hi = _extremes(raw, raw, 1 << k)
            else:
                below_lo, below_hi = self._level(y, k - 1)
                pairs = slice(2 * len(lo), 2 * complete)
                more_lo, more_hi = _extremes(below_lo[pairs], below_hi[pairs], 2)
            lo, hi = np.concatenate([lo, more_lo]), np.concatenate([hi, more_hi])
            self._lo[k], self._hi[k] = lo, hi
        return lo, hi

    def peaks(self, x: np.ndarray, y: np.ndarray, start: int, stop: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """Points that draw ``x[start:stop]``, ``y[start:stop]`` on ``columns`` pixel
        columns as peak downsampling would: the points themselves when they are
        few enough, else for each bin of 2**k points its first ``x`` twice, with
        the bin's highest then lowest ``y`` (the smallest k giving <= ``columns`` bins).

        Growing a level copies it, but only when a frame asks for it: at most
        once a frame per level, a few thousand values at the coarse ones.
        """
        start, stop = max(0, start), min(len(y), stop)
        count = stop - start
        if count <= 2 * max(1, columns):
            return x[start:stop], y[start:stop]
        k = max(1, math.ceil(math.log2(count / max(1, columns))))
        size = 1 << k
        first, end = start >> k, -(-stop // size)  # the bins touching [start, stop)
        complete = min(end, len(y) >> k)
        if k >= self.BASE:
            lo, hi = self._level(y, k)
            lo, hi = lo[first:complete], hi[first:complete]
        else:
            raw = y[first * size: complete * size]
            lo, hi = _extremes(raw, raw, size)
        if end > complete:  # the newest bin is still filling: its extremes from its points
            tail = y[complete * size:]
            lo, hi = np.append(lo, np.fmin.reduce(tail)), np.append(hi, np.fmax.reduce(tail))
        xs = np.repeat(x[first * size: end * size: size], 2)
        ys = np.empty(len(xs))
        ys[0::2], ys[1::2] = hi, lo
        return xs, ys


_EMPTY = np.empty(0)


def _extremes(lo: np.ndarray, hi: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Minima of ``lo`` and maxima of ``hi`` over bins of ``size`` (a power of
    two) neighbours, lengths a multiple of it, NaN ignored.

    By halving: one strided pass per factor of two, over chunks that stay in
    the CPU's cache, which beats numpy's reduction over short rows several
    times and makes no big temporary array.
    """
    out_lo, out_hi = np.empty(len(lo) // size), np.empty(len(hi) // size)
    for start in range(0, len(lo), _CHUNK):
        part_lo, part_hi = lo[start: start + _CHUNK], hi[start: start + _CHUNK]
        for _ in range(size.bit_length() - 1):
            part_lo = np.fmin(part_lo[0::2], part_lo[1::2])
            part_hi = np.fmax(part_hi[0::2], part_hi[1::2])
        out_lo[start // size: start // size + len(part_lo)] = part_lo
        out_hi[start // size: start // size + len(part_hi)] = part_hi
    return out_lo, out_hi


_CHUNK = 1 << 16  # points worked on at once: 512 KiB, in cache


def ema(values: np.ndarray, weight: float, out: np.ndarray | None = None) -> np.ndarray:
    """Debiased exponential moving average (TensorBoard's "smoothing").

    ``weight`` in [0, 1): 0 returns the values unchanged. Vectorised, so
    re-smoothing a million points after the slider moves takes milliseconds.
    Non-finite values are carried as the previous smoothed value so one NaN
    does not blank the rest of the curve. ``out`` (may be ``values`` itself)
    receives the result instead of a new array: fresh memory is the dearest
    part of smoothing a million points.

    The average at ``t`` is ``sum(weight**(t-k) * values[k]) / sum(weight**(t-k))``
    over the finite values up to ``t``; with every value finite the denominator
    is ``(1 - weight**(t+1)) / (1 - weight)``.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values) if out is None else out
    if weight <= 0 or len(values) == 0:
        out[:] = values
        return out
    finite = np.isfinite(values)
    all_finite = bool(finite.all())
    out[:] = values if all_finite else np.where(finite, values, 0.0)
    _leaky_sum(out, weight)
    if all_finite:
        out *= 1.0 - weight
        # 1 - weight**(t + 1) is 1 to double precision once weight**(t + 1) < 1e-17
        head = min(len(out), int(17 / -math.log10(weight)) + 1)
        out[:head] /= -np.expm1(math.log(weight) * np.arange(1, head + 1))
        return out
    den = _leaky_sum(finite.astype(np.float64), weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        out /= den
    out[den == 0] = np.nan
    return out


def _leaky_sum(terms: np.ndarray, weight: float) -> np.ndarray:
    """``terms`` replaced in place by ``s[t] = weight * s[t - 1] + terms[t]``
    (``s[-1] = 0``), without a Python loop per point; returns it.

    Within a block, ``s[t] = weight**t * cumsum(terms[k] / weight**k)``; blocks
    are kept short enough that ``1 / weight**k`` stays below 1e100, and each
    block's start carries the one before it (a loop per block, not per point).
    """
    n = len(terms)
    block = max(1, min(n, int(100 / -math.log10(weight))))
    decay = weight ** np.arange(block)
    whole = n - n % block
    parts = [terms[:whole].reshape(-1, block)] if whole else []
    if whole < n:
        parts.append(terms[whole:].reshape(1, -1))
    state, block_decay = 0.0, weight ** block
    for rows in parts:
        scale = decay[: rows.shape[1]]
        rows /= scale
        np.cumsum(rows, axis=1, out=rows)  # each block on its own, from 0, divided by weight**t
        carried = np.empty(len(rows))  # s just before each block
        for b, end in enumerate((rows[:, -1] * scale[-1]).tolist()):
            carried[b] = state
            state = block_decay * state + end
        carried *= weight
        rows += carried[:, None]
        rows *= scale
    return terms


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
