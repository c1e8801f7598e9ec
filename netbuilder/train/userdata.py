"""The user's own data: CSV files, ``.npz`` archives and folders of images.

Every error a user can cause names the file, and for CSV the line (1-based,
as an editor shows it) and the column, because "could not convert string to
float" with no location sends a beginner hunting through thousands of rows.
"""

from __future__ import annotations

import csv
import inspect
import io
import math
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from .datasets import CLASSIFICATION, REGRESSION, TASKS, DataError, DataSet, builtin_names, load_builtin

__all__ = ["DataError", "load_csv", "load_data", "load_image_folder", "load_npz"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Values are trained in float32; a larger cell (1e308) would silently become inf."""
MAX_AUTO_CLASSES = 20
"""A numeric target guesses as classification when it holds only integers and
at most this many distinct values; anything else numeric is regression."""


def load_data(source: str, base_dir: str | Path | None = None, **options) -> DataSet:
    """Load a built-in by name, or a file or folder by path.

    Built-in names win over files of the same name (write ``./iris`` for the
    file). Relative paths are resolved against ``base_dir`` (the graph file's
    folder) so a graph finds its data wherever it is opened from. ``options``
    go to the loader picked: :func:`load_builtin` (``seed``),
    :func:`load_csv`, :func:`load_npz` or :func:`load_image_folder`.
    """
    if source in builtin_names():
        return _call(load_builtin, source, source, options)
    path = Path(source).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if path.is_dir():
        return _guarded(load_image_folder, path, source, options)
    if not path.exists():
        known = ", ".join(builtin_names())
        raise DataError(f"no built-in data set or file named {source!r} (looked for {path}); built-ins are: {known}")
    from .tokens_data import is_token_file, load_token_file

    if is_token_file(path, options):
        return _guarded(load_token_file, path, source, options)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _guarded(load_csv, path, source, options)
    if suffix == ".npz":
        return _guarded(load_npz, path, source, options)
    if suffix == ".npy":
        raise DataError(f"{path.name}: a .npy file holds one array, but training needs inputs and targets; "
                        "save both with numpy.savez('data.npz', x=x, y=y)")
    raise DataError(f"{path.name}: unsupported file type {suffix!r}; use .csv, .npz, "
                    "or a folder with one sub-folder of images per class")


def _guarded(loader: Callable[..., DataSet], path: Path, source: str, options: dict) -> DataSet:
    """:func:`_call`, with any foreign exception turned into a DataError naming the file:
    a corrupt file must never reach the user as a bare ``BadZipFile`` or ``MemoryError``."""
    try:
        return _call(loader, path, source, options)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path.name}: cannot load: {type(exc).__name__}: {exc}") from exc


def _call(loader: Callable[..., DataSet], subject, source: str, options: dict) -> DataSet:
    """Call ``loader``, turning an option it does not take into a DataError
    (a typo in a graph file's data options should not surface as TypeError)."""
    accepted = list(inspect.signature(loader).parameters)[1:]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = ", ".join(accepted)
        raise DataError(f"{source}: option {unknown[0]!r} does not apply; {loader.__name__} takes: {takes}")
    return loader(subject, **options)


def load_csv(path: str | Path, target: str | int | None = None, features: list[str] | None = None,
             task: str | None = None, delimiter: str | None = None, skip_bad_rows: bool = False) -> DataSet:
    """Load a CSV file with a header row as a tabular data set.

    ``target`` is a column name or index (default: the last column);
    ``features`` defaults to every other column. Features must be numeric:
    a column holding mostly text is refused with its name rather than
    one-hot encoded, since a silent encoding would change the input width the
    graph must declare. ``task`` defaults to classification for a text
    target or few distinct integers (see :data:`MAX_AUTO_CLASSES`); text class
    names are sorted, integer ones sorted numerically. The delimiter is
    sniffed among ``, ; tab |`` unless given. ``skip_bad_rows`` leaves out the
    rows :func:`bad_csv_rows` finds instead of refusing the file.
    """
    path = Path(path)
    header, rows, misshapen = _read_rows(path, delimiter)
    target_col, feature_cols = _columns(path, header, target, features)
    if skip_bad_rows:
        bad = set(misshapen) | set(_bad_cells(rows, target_col, feature_cols))
        rows = [(line, fields) for line, fields in rows if line not in bad]
        if not rows:
            raise DataError(f"{path.name}: every row is bad ({len(bad)})")
    elif misshapen:
        line = min(misshapen)
        raise DataError(f"{path.name}, line {line}: expected {len(header)} fields "
                        f"(one per header column), got {misshapen[line]}")
    if target_col in feature_cols:
        raise DataError(f"{path.name}: column {header[target_col]!r} is both target and feature")
    if not feature_cols:
        raise DataError(f"{path.name}: no feature columns besides the target")
    if task is not None and task not in TASKS:
        raise DataError(f"{path.name}: task must be one of {TASKS}, got {task!r}")

    def cells(col: int) -> list[tuple[int, str]]:
        return [(line, fields[col]) for line, fields in rows]

    x = np.stack([_numbers(path, header[c], cells(c)) for c in feature_cols], axis=1)
    y, class_names, task = _target(path, header[target_col], cells(target_col), task)
    description = f"{path.name}: {len(rows)} rows, {len(feature_cols)} features, target {header[target_col]!r}"
    if skip_bad_rows and (skipped := len(bad)):
        description += f" ({skipped} bad row{'s' if skipped != 1 else ''} skipped)"
    return DataSet(path.stem, x.astype(np.float32), y, task, class_names, "tabular", description)


def bad_csv_rows(path: str | Path, target: str | int | None = None, features: list[str] | None = None,
                 delimiter: str | None = None) -> tuple[list[int], int]:
    """The line numbers of the rows :func:`load_csv` cannot use (a wrong number of
    fields, an empty or non-numeric feature, an empty target), and how many data
    rows the file has: what "skip bad rows (1 of 200)" offers."""
    path = Path(path)
    header, rows, misshapen = _read_rows(path, delimiter)
    target_col, feature_cols = _columns(path, header, target, features)
    return sorted(set(misshapen) | set(_bad_cells(rows, target_col, feature_cols))), len(rows) + len(misshapen)


def _columns(path: Path, header: list[str], target, features) -> tuple[int, list[int]]:
    target_col = _column(path, header, -1 if target is None else target)
    if features is None:
        return target_col, [i for i in range(len(header)) if i != target_col]
    return target_col, [_column(path, header, name) for name in features]


def _bad_cells(rows: list[tuple[int, list[str]]], target_col: int, feature_cols: list[int]) -> list[int]:
    return [line for line, fields in rows
            if not fields[target_col].strip() or any(_number(fields[c]) is None for c in feature_cols)]


def _read_rows(path: Path, delimiter: str | None) -> tuple[list[str], list[tuple[int, list[str]]], dict[int, int]]:
    """The header, the ``(line number, fields)`` of every non-blank row, and the
    rows with a wrong number of fields (line number -> how many it has)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name}: cannot read: {exc}") from exc
    if delimiter is None:
        try:
            sample = "\n".join(text.splitlines()[:50])
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    rows, misshapen = [], {}
    try:
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            if header is None:
                header = _check_header(path, reader.line_num, fields)
            elif len(fields) != len(header):
                misshapen[reader.line_num] = len(fields)
            else:
                rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise DataError(f"{path.name}, line {reader.line_num}: {exc}") from exc
    if header is None or not (rows or misshapen):
        raise DataError(f"{path.name}: needs a header row and at least one data row")
    return header, rows, misshapen


def _check_header(path: Path, line: int, fields: list[str]) -> list[str]:
    names = [f.strip() for f in fields]
    where = f"{path.name}, line {line}"
    if all(_number(n) is not None for n in names):
        raise DataError(f"{where}: the first row must name the columns (a header), got numbers")
    for i, name in enumerate(names):
        if not name:
            raise DataError(f"{where}: column {i + 1} has no name in the header")
        if name in names[:i]:
            raise DataError(f"{where}: column name {name!r} appears twice in the header")
    return names


def _column(path: Path, header: list[str], key: str | int) -> int:
    if isinstance(key, int):
        if -len(header) <= key < len(header):
            return key % len(header)
        raise DataError(f"{path.name}: column index {key} is out of range ({len(header)} columns)")
    if key not in header:
        raise DataError(f"{path.name}: no column {key!r}; columns are: {', '.join(header)}")
    return header.index(key)


def _number(text: str) -> float | None:
    """``text`` as a finite float, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= FLOAT32_MAX else None


def _cell_error(path: Path, line: int, column: str, text: str) -> DataError:
    problem = "empty cell" if not text.strip() else f'expected a number, got "{text.strip()}"'
    return DataError(f"{path.name}, line {line}, column {column!r}: {problem}")


def _numbers(path: Path, column: str, cells: list[tuple[int, str]]) -> np.ndarray:
    """A numeric column; a column that is mostly text is named as such rather
    than reported as a bad value on its first line."""
    values = [_number(text) for _, text in cells]
    bad = [(line, text) for (line, text), v in zip(cells, values) if v is None]
    if len(bad) * 2 > len(values):
        examples = ", ".join(sorted({t.strip() for _, t in bad})[:3])
        raise DataError(f"{path.name}, column {column!r}: holds text ({examples}…), not numbers; "
                        "encode it as numbers or leave it out with features=[…]")
    if bad:
        line, text = bad[0]
        raise _cell_error(path, line, column, text)
    return np.array(values, dtype=np.float64)


def _target(
    path: Path, column: str, cells: list[tuple[int, str]], task: str | None
) -> tuple[np.ndarray, list[str], str]:
    """``(y, class_names, task)`` from the target column."""
    for line, text in cells:
        if not text.strip():
            raise _cell_error(path, line, column, text)
    numbers = [_number(text) for _, text in cells]
    known = [v for v in numbers if v is not None]
    integers = len(known) == len(numbers) and all(v.is_integer() for v in known)
    if task is None:
        few_integers = integers and len(set(known)) <= MAX_AUTO_CLASSES
        task = CLASSIFICATION if few_integers or len(known) * 2 < len(numbers) else REGRESSION
    if task == REGRESSION:
        y = _numbers(path, column, cells)
        return y.astype(np.float32)[:, None], [], task
    if integers:
        labels = [str(int(v)) for v in known]
        class_names = [str(v) for v in sorted({int(v) for v in known})]
    else:
        labels = [text.strip() for _, text in cells]
        class_names = sorted(set(labels))
    index = {name: i for i, name in enumerate(class_names)}
    return np.array([index[label] for label in labels], dtype=np.int64), class_names, task


def load_npz(path: str | Path, task: str | None = None) -> DataSet:
    """Load arrays ``x`` and ``y`` (or ``X`` and ``Y``) from a ``.npz`` file.

    Integer ``x`` is kept as int64 token ids. ``kind`` follows the shape of
    ``x``: ``(n, C, H, W)`` is an image, ``(n, T, F)`` or integer x a
    sequence, otherwise tabular (a 1-D ``x`` becomes one feature). Integer
    ``y`` means classification unless ``task`` says otherwise; an optional
    ``class_names`` array names the classes. Never unpickles.
    """
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataError(f"{path.name}: not a .npz archive; save with numpy.savez(x=…, y=…)")
        with archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path.name}: cannot read as a .npz archive: {exc}") from exc
    return _npz_dataset(path, arrays, task)


def _npz_dataset(path: Path, arrays: dict[str, np.ndarray], task: str | None) -> DataSet:
    """Check the archive's arrays against each other before anything is sized from them."""
    x = _array(path, arrays, "x")
    y = _array(path, arrays, "y")
    if x.ndim == 0 or y.ndim == 0 or len(x) == 0:
        raise DataError(f"{path.name}: x and y must hold at least one sample, got shapes {x.shape} and {y.shape}")
    if x.ndim == 1:
        x = x[:, None]
    if np.issubdtype(x.dtype, np.integer):
        x, kind = x.astype(np.int64), "sequence"
    elif np.issubdtype(x.dtype, np.floating) or x.dtype == np.bool_:
        x, kind = _finite(path, "x", x), {3: "sequence", 4: "image"}.get(x.ndim, "tabular")
    else:
        raise DataError(f"{path.name}: x must hold numbers, got dtype {x.dtype}")
    if task is None:
        task = CLASSIFICATION if np.issubdtype(y.dtype, np.integer) else REGRESSION
    if task not in TASKS:
        raise DataError(f"{path.name}: task must be one of {TASKS}, got {task!r}")
    if task == REGRESSION:
        if not np.issubdtype(y.dtype, np.number):
            raise DataError(f"{path.name}: y must hold numbers, got dtype {y.dtype}")
        y = _finite(path, "y", y)
        return DataSet(path.stem, x, y[:, None] if y.ndim == 1 else y, task, [], kind, path.name)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.number) or np.any(y != np.round(y)):
        raise DataError(f"{path.name}: y must be a 1-D array of class indices (0, 1, 2, …)")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise DataError(f"{path.name}: class indices in y must be >= 0, found {y.min()}")
    n_classes = int(y.max()) + 1
    named = np.atleast_1d(arrays["class_names"]) if "class_names" in arrays else None
    if n_classes > max(len(y), 0 if named is None else len(named)):
        names = "" if named is None else f" and {len(named)} class_names"
        raise DataError(f"{path.name}: y uses class index {n_classes - 1} but the file holds only {len(y)} "
                        f"samples{names}; class indices must be 0, 1, 2, …")
    class_names = [str(c) for c in (range(n_classes) if named is None else named)]
    if len(class_names) < n_classes:
        raise DataError(f"{path.name}: class_names has {len(class_names)} names but y uses {n_classes} classes")
    return DataSet(path.stem, x, y, task, class_names, kind, path.name)


def _finite(path: Path, key: str, values: np.ndarray) -> np.ndarray:
    """``values`` as float32, refusing NaN and what float32 cannot hold (it would train as inf)."""
    with np.errstate(over="ignore", invalid="ignore"):
        converted = values.astype(np.float32)
    bad = ~np.isfinite(converted)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"{path.name}: {key}{list(where)} is {values[where]!r}; values must be finite "
                        f"and within float32 (±{FLOAT32_MAX:.3g})")
    return converted


def _array(path: Path, arrays: dict[str, np.ndarray], key: str) -> np.ndarray:
    for name in (key, key.upper()):
        if name in arrays:
            return arrays[name]
    held = ", ".join(arrays) or "nothing"
    raise DataError(f"{path.name}: no array {key!r} (or {key.upper()!r}); the file holds: {held}")


def load_image_folder(path: str | Path, image_size: tuple[int, int] = (28, 28), grayscale: bool = True) -> DataSet:
    """Load a folder holding one sub-folder of images per class.

    Class names are the sorted sub-folder names; images directly inside each
    are decoded with Pillow, resized to ``image_size`` (height, width) and
    scaled to [0, 1], giving x of shape ``(n, C, H, W)`` with C = 1 or 3.
    Hidden entries and non-image files (by suffix) are skipped.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    height, width = image_size
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if len(class_dirs) < 2:
        raise DataError(f"{root.name}: found {len(class_dirs)} class folder(s); put each class's images "
                        "in its own sub-folder, at least two classes")
    images, labels = [], []
    for label, class_dir in enumerate(class_dirs):
        files = sorted(f for f in class_dir.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES and f.name[0] != ".")
        if not files:
            raise DataError(f"{root.name}/{class_dir.name}: no images ({', '.join(IMAGE_SUFFIXES)})")
        for file in files:
            images.append(_read_image(file, f"{root.name}/{class_dir.name}/{file.name}",
                                      (width, height), grayscale))
            labels.append(label)
    x = np.stack(images)
    x = x[:, None] if grayscale else x.transpose(0, 3, 1, 2)
    description = f"{root.name}: {len(x)} images of {len(class_dirs)} classes"
    return DataSet(root.name, np.ascontiguousarray(x), np.array(labels, dtype=np.int64),
                   CLASSIFICATION, [d.name for d in class_dirs], "image", description)


def _read_image(file: Path, shown: str, size: tuple[int, int], grayscale: bool) -> np.ndarray:
    try:
        with Image.open(file) as image:
            pixels = image.convert("L" if grayscale else "RGB").resize(size, Image.Resampling.BILINEAR)
            return np.asarray(pixels, dtype=np.float32) / 255.0
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"{shown}: cannot read image: {exc}") from exc
