"""What must be true before Train may start, said in plain words.

Runs on the GUI thread when Train is clicked, so it must be quick and load
no data: graph errors come from the editor's live shape report, settings
from ``TrainingConfig.from_dict``, and the graph-versus-data checks are the
engine's own (:func:`netbuilder.train.prepare.check_graph`, so the messages
match the CLI's) run against a one-sample stand-in built from the built-in
table, or against a data set the import dialog already loaded. What cannot
be known cheaply (a file nobody has opened yet) the engine checks at the
start of the run and reports as a failure.
"""

from __future__ import annotations

import numpy as np

from ...core.report import ShapeReport
from ...train.config import ConfigError, TrainingConfig
from ...train.datasets import CLASSIFICATION, TAGGING, DataSet, builtin_info
from ...train.prepare import TrainingError, check_graph

MAX_LISTED = 3


def stand_in(source: str, known: dict | None = None) -> DataSet | None:
    """A data set with the shapes of ``source`` if they are known without
    loading anything: a built-in (one zero sample), or one in ``known``."""
    if known and source in known:
        return known[source]
    for info in builtin_info():
        if info["name"] == source:
            x = np.zeros((1, *info["input_shape"]), dtype=np.float32)
            classes = list(info["classes"])
            if info["task"] == TAGGING:  # token ids and a tag per token; the vocabulary is the run's to check
                x = np.zeros((1, *info["input_shape"]), dtype=np.int64)
                return DataSet(source, x, x.copy(), TAGGING, classes, info["kind"], info["description"])
            y = np.zeros(1, dtype=np.int64) if info["task"] == CLASSIFICATION else np.zeros((1, 1), np.float32)
            return DataSet(source, x, y, info["task"], classes, info["kind"], info["description"])
    return None


def check(doc, report: ShapeReport, training: dict, known_data: dict | None = None) -> list[tuple[str, str | None]]:
    """Every reason Train must be refused as ``(message, node id or None)``,
    most important first; empty means go."""
    if not doc.nodes:
        return [("The graph is empty: add an Input, some layers and wire them up", None)]
    errors = report.errors
    if errors:
        listed = [f"{p.node_id}: {p.message}" if p.node_id else p.message for p in errors[:MAX_LISTED]]
        more = f" (and {len(errors) - MAX_LISTED} more)" if len(errors) > MAX_LISTED else ""
        return [(f"The graph has {len(errors)} error{'s' if len(errors) != 1 else ''}: "
                 + "; ".join(listed) + more, errors[0].node_id)]
    try:
        config = TrainingConfig.from_dict(training)
    except ConfigError as err:
        return [(f"Training settings: {err}", None)]
    if not config.data.source:
        return [("Choose a data set to train on (the Data list in the Training panel)", None)]
    ds = stand_in(config.data.source, known_data)
    if config.recipe == "gan":
        from ...train.gan_plan import plan_gan

        try:
            if ds is not None:  # data not known without loading it: the engine checks it at the start
                plan_gan(doc, config, data=ds)
        except TrainingError as err:
            return [(str(err), err.node_id)]
        return []
    if ds is None:
        return []
    try:
        check_graph(doc, report, ds, config)
    except TrainingError as err:
        return [(str(err), err.node_id)]
    return []
