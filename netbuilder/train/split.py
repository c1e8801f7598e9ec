"""Train/validation split and feature standardisation.

Both are deterministic and return plain data, so an exported training script
can reproduce exactly what the GUI did: the same seed gives the same split,
and the ``(mean, std)`` returned by :func:`standardise` can be written into
the script as constants.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .datasets import CLASSIFICATION, DataError, DataSet


def split(
    ds: DataSet, val_fraction: float = 0.2, seed: int = 0, stratify: bool = True
) -> tuple[DataSet, DataSet]:
    """Split ``ds`` into ``(train, val)``, ``val_fraction`` of it going to val.

    With ``stratify`` (classification only) each class is split on its own, so
    a small validation set still holds every class in its usual proportion.
    Indices keep their original order within each part. ``val_fraction=0``
    gives an empty validation set.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"{ds.name}: val_fraction must be in [0, 1), got {val_fraction}")
    rng = np.random.default_rng(seed)
    if stratify and ds.task == CLASSIFICATION:
        groups = [np.flatnonzero(ds.y == c) for c in np.unique(ds.y)]
    else:
        groups = [np.arange(len(ds))]
    val_parts = []
    for group in groups:
        n_val = int(round(val_fraction * len(group)))
        val_parts.append(rng.permutation(group)[:n_val])
    val_idx = np.sort(np.concatenate(val_parts)).astype(np.int64)
    train_idx = np.setdiff1d(np.arange(len(ds)), val_idx)
    if len(train_idx) == 0:
        raise DataError(f"{ds.name}: {len(ds)} samples leave none for training")
    return ds.subset(train_idx), ds.subset(val_idx)


def standardise(
    train: DataSet, val: DataSet
) -> tuple[DataSet, DataSet, tuple[np.ndarray, np.ndarray] | None]:
    """Scale tabular float features to zero mean and unit variance.

    Statistics come from ``train`` only, so nothing about the validation data
    leaks into training. Returns ``(train, val, (mean, std))``; constant
    features get ``std = 1``. Images, sequences and token ids are returned
    unchanged with ``None`` for the statistics.
    """
    if train.kind != "tabular" or train.dtype != "float32" or train.x.ndim != 2:
        return train, val, None
    mean = train.x.mean(axis=0).astype(np.float32)
    std = train.x.std(axis=0).astype(np.float32)
    std[std == 0] = 1.0

    def scaled(ds: DataSet) -> DataSet:
        return replace(ds, x=((ds.x - mean) / std).astype(np.float32))

    return scaled(train), scaled(val), (mean, std)
