"""Token data for sequence labelling: files, the built-in corpus, the split and the vocabulary.

The reading and encoding themselves are :mod:`tagging`'s (the code an exported script
carries); this module makes :class:`DataSet` s of them and splits them. The vocabulary
and the tag set come from the **training** sentences only, after the split, so the
validation score is that of words the model may never have seen (``<unk>``), as it
will be on new text; a tag the training part never holds is not scored.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from . import tagging
from .datasets import TAGGING, DataError, DataSet, from_sentences

CONLL_SUFFIXES = (".conll", ".conllu", ".iob", ".bio", ".tsv", ".txt")
VOCABULARY_FILE = "vocabulary.json"  # beside a run's checkpoints: what prediction and export read


def is_token_file(path: Path, options: dict) -> bool:
    """A CoNLL-style file by its suffix, or any CSV/text file with ``task: tagging``."""
    suffix = path.suffix.lower()
    if options.get("task") == "tagging":
        return suffix in CONLL_SUFFIXES + (".csv",)
    return suffix in (".conll", ".conllu", ".iob", ".bio")


def load_token_file(path: Path, task: str = TAGGING, delimiter: str | None = None) -> DataSet:
    """A tagging data set from ``word<TAB>tag`` lines or a two-column CSV; a bad line is a
    :class:`DataError` naming the file and the line."""
    if task != TAGGING:
        raise DataError(f"{path.name}: a token file trains the tagging task, not {task!r}")
    try:
        if path.suffix.lower() == ".csv":
            sentences = tagging.read_token_csv(path, delimiter or ",")
        else:
            sentences = tagging.read_conll(path)
    except tagging.TokenFileError as err:
        raise DataError(str(err).replace(str(path), path.name, 1)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path.name}: cannot read: {err}") from None
    words = sum(len(w) for w, _ in sentences)
    return from_sentences(path.stem, sentences, f"{path.name}: {len(sentences)} sentences, {words} tokens")


def split_tagging(full: DataSet, val_fraction: float, seed: int):
    """``(full, train, val, train_index, val_index)``: a seeded split of the sentences,
    then everything encoded with the vocabulary and tags of the training part."""
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"{full.name}: val_fraction must be in [0, 1), got {val_fraction}")
    rng = np.random.default_rng(seed)
    val_index = np.sort(rng.permutation(len(full))[:int(round(val_fraction * len(full)))]).astype(np.int64)
    train_index = np.setdiff1d(np.arange(len(full)), val_index)
    if len(train_index) == 0:
        raise DataError(f"{full.name}: {len(full)} sentences leave none for training")
    sentences = full.sentences
    vocabulary, tags = tagging.build_vocabulary([sentences[i] for i in train_index])
    x, y = tagging.encode(sentences, vocabulary, tags)
    encoded = replace(full, x=x, y=y, class_names=tags, vocabulary=vocabulary)
    return encoded, encoded.subset(train_index), encoded.subset(val_index), train_index, val_index


def vocabulary_record(data: DataSet) -> dict:
    """What a run saves as :data:`VOCABULARY_FILE`: enough to tag (or classify) new text;
    ``tags`` holds the classes of a text classifier."""
    return {"words": list(data.vocabulary or []), "tags": list(data.class_names), "pad": tagging.PAD,
            "unk": tagging.UNK, "task": data.task}
