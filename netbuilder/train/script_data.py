"""Data loading spelled out for the exported training script.

The engine loads data through :mod:`datasets`, :mod:`userdata` and :mod:`split`;
an exported script cannot import netbuilder, so the same recipes are written here
as plain functions that :mod:`netbuilder.train.script` copies into it (only the
ones the configured data set needs, with the imports they use). The tests check
that every function here gives arrays identical to its netbuilder counterpart.
Keep each short and obvious: this is what a user reads in their ``train.py``.
"""

import csv
import io
import math
from pathlib import Path

import numpy as np
import sklearn.datasets
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def standardised_table(bunch):
    """A scikit-learn table with standardised features and integer classes."""
    x = bunch.data
    std = x.std(axis=0)
    x = ((x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)).astype(np.float32)
    return x, bunch.target.astype(np.int64)


def digits(seed):
    """8x8 handwritten digits from scikit-learn as 1x8x8 images, pixels in [0, 1]."""
    bunch = sklearn.datasets.load_digits()
    return (bunch.images / 16.0).astype(np.float32)[:, None, :, :], bunch.target.astype(np.int64)


def iris(seed):
    """Iris flowers: 4 standardised measurements, 3 species."""
    return standardised_table(sklearn.datasets.load_iris())


def wine(seed):
    """Wines: 13 standardised chemical features, 3 cultivars."""
    return standardised_table(sklearn.datasets.load_wine())


def breast_cancer(seed):
    """Breast tumours: 30 standardised cell features, 2 diagnoses."""
    return standardised_table(sklearn.datasets.load_breast_cancer())


def moons(seed):
    """Two interleaving half-moons of noisy 2-D points."""
    x, y = sklearn.datasets.make_moons(n_samples=1000, noise=0.15, random_state=seed)
    return x.astype(np.float32), y.astype(np.int64)


def circles(seed):
    """A noisy circle inside another, 2-D points."""
    x, y = sklearn.datasets.make_circles(n_samples=1000, noise=0.08, factor=0.5, random_state=seed)
    return x.astype(np.float32), y.astype(np.int64)


def spirals(seed, per_class=300, arms=3):
    """Three interleaved noisy spiral arms, 2-D points."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, per_class), arms)
    y = np.repeat(np.arange(arms), per_class)
    angle = (y + radius) * 4.0 + rng.normal(0.0, 0.2, len(y))
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x.astype(np.float32), y.astype(np.int64)


def sine(seed, n=1000):
    """Regression: y = sin(x) + noise for x in [-2pi, 2pi]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2 * np.pi, 2 * np.pi, (n, 1))
    y = np.sin(x) + rng.normal(0.0, 0.1, (n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def waveforms(seed, per_class=300, length=32):
    """Noisy sine, square, sawtooth and triangle waves of 32 steps; name the shape."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(4), per_class)
    n = len(y)
    cycles = rng.uniform(1.0, 3.0, (n, 1)) * np.arange(length) / length
    phase = (cycles + rng.uniform(0.0, 1.0, (n, 1))) % 1.0
    shapes = np.stack([
        np.sin(2 * np.pi * phase),
        np.where(phase < 0.5, 1.0, -1.0),
        2.0 * phase - 1.0,
        4.0 * np.abs(phase - 0.5) - 1.0,
    ])
    amplitude = rng.uniform(0.5, 1.5, (n, 1))
    x = shapes[y, np.arange(n)] * amplitude + rng.normal(0.0, 0.1, (n, length))
    return x[:, :, None].astype(np.float32), y.astype(np.int64)


def running_sum(seed, n=2000, length=20):
    """Sequences of 20 tokens of +1/-1: is their sum positive? (Ties flip the last token.)"""
    rng = np.random.default_rng(seed)
    tokens = rng.choice([-1.0, 1.0], size=(n, length))
    ties = tokens.sum(axis=1) == 0
    tokens[ties, -1] *= -1
    y = (tokens.sum(axis=1) > 0).astype(np.int64)
    return tokens[:, :, None].astype(np.float32), y


def read_csv(path, target=None, features=None, class_names=None, delimiter=None, skip_bad_rows=False):
    """A CSV file with a header row. ``target`` and ``features`` are column names or
    indices (default: the last column, and all the others); ``class_names`` lists the
    classes in index order, or is None for a regression target. ``skip_bad_rows``
    leaves out rows with a wrong number of fields, a feature that is not a finite
    number or an empty target."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff("\n".join(text.splitlines()[:50]), delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(f.strip() for f in row)]
    header, rows = [name.strip() for name in rows[0]], rows[1:]

    def column(key):
        return key % len(header) if isinstance(key, int) else header.index(key)

    target = column(-1 if target is None else target)
    columns = [i for i in range(len(header)) if i != target] if features is None else [column(f) for f in features]

    def usable(row):
        try:
            numbers = [float(row[c]) for c in columns]
        except (ValueError, IndexError):
            return False
        return len(row) == len(header) and row[target].strip() != "" and all(map(math.isfinite, numbers))

    if skip_bad_rows:
        rows = [row for row in rows if usable(row)]
    x = np.array([[float(row[c]) for c in columns] for row in rows], dtype=np.float64).astype(np.float32)
    if class_names is None:
        return x, np.array([[float(row[target])] for row in rows], dtype=np.float32)
    index = {name: i for i, name in enumerate(class_names)}
    labels = [row[target].strip() for row in rows]
    y = [index[label] if label in index else index[str(int(float(label)))] for label in labels]
    return x, np.array(y, dtype=np.int64)


def read_npz(path, task):
    """Arrays ``x`` and ``y`` (or ``X`` and ``Y``) from a NumPy ``.npz`` archive."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    x = arrays["x"] if "x" in arrays else arrays["X"]
    y = arrays["y"] if "y" in arrays else arrays["Y"]
    x = x[:, None] if x.ndim == 1 else x
    x = x.astype(np.int64) if np.issubdtype(x.dtype, np.integer) else x.astype(np.float32)
    if task == "classification":
        return x, y.astype(np.int64)
    y = y.astype(np.float32)
    return x, y[:, None] if y.ndim == 1 else y


def read_image_folder(path, image_size, grayscale):
    """One sub-folder of images per class (sorted names are the classes), resized to
    ``image_size`` (height, width) and scaled to [0, 1]: ``(n, C, H, W)``."""
    height, width = image_size
    class_dirs = sorted(d for d in Path(path).iterdir() if d.is_dir() and not d.name.startswith("."))
    images, labels = [], []
    for label, class_dir in enumerate(class_dirs):
        files = sorted(f for f in class_dir.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES and f.name[0] != ".")
        for file in files:
            with Image.open(file) as image:
                pixels = image.convert("L" if grayscale else "RGB").resize((width, height), Image.Resampling.BILINEAR)
                images.append(np.asarray(pixels, dtype=np.float32) / 255.0)
            labels.append(label)
    x = np.stack(images)
    x = x[:, None] if grayscale else x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x), np.array(labels, dtype=np.int64)


def split_indices(y, val_fraction, seed, stratify):
    """Train and validation indices: a seeded draw of ``val_fraction`` of the samples,
    taken from each class separately with ``stratify``; each part in ascending order."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    val = [rng.permutation(group)[:int(round(val_fraction * len(group)))] for group in groups]
    val = np.sort(np.concatenate(val)).astype(np.int64)
    return np.setdiff1d(np.arange(len(y)), val), val


def standardise(x_train, x_val, kind):
    """Scale tabular float features by the training part's mean and std (images,
    sequences and token ids are returned unchanged)."""
    if kind != "tabular" or x_train.dtype != np.float32 or x_train.ndim != 2:
        return x_train, x_val
    mean = x_train.mean(axis=0).astype(np.float32)
    std = x_train.std(axis=0).astype(np.float32)
    std[std == 0] = 1.0
    return ((x_train - mean) / std).astype(np.float32), ((x_val - mean) / std).astype(np.float32)
