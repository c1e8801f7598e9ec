"""Before training: load and split the data, and check that the graph fits it.

Everything here is cheap next to training and raises :class:`TrainingError` with a
sentence a beginner can act on (``Input 'input' is (1, 28, 28) but digits gives
(1, 8, 8)``), carrying the id of the node to point at. The engine and the exported
script both start from :func:`prepare_data`, so they split and scale identically.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ..core.document import GraphDocument
from ..core.errors import NetbuilderError
from ..core.freeze import freeze_paths
from ..core.shapes import ShapeReport
from .config import TrainingConfig
from .datasets import CLASSIFICATION, TAGGING, DataSet, builtin_names
from .recipe import CLASS_LOSSES, POSITIVE_OUTPUT_LOSSES, SINGLE_LOGIT_LOSSES, VALUE_LOSSES
from .split import split, standardise
from .userdata import load_data


class TrainingError(NetbuilderError, ValueError):
    """A run cannot start (or continue); ``node_id`` names the node at fault, if one is."""

    def __init__(self, message: str, node_id: str | None = None):
        super().__init__(message)
        self.node_id = node_id


@dataclass
class PreparedData:
    """The data set, its split (indices into ``full``) and the scaled parts."""

    full: DataSet
    train: DataSet
    val: DataSet
    train_index: np.ndarray
    val_index: np.ndarray
    scaling: tuple[np.ndarray, np.ndarray] | None

    def describe(self) -> dict:
        return {"name": self.full.name, "task": self.full.task, "kind": self.full.kind,
                "input_shape": list(self.full.input_shape), "class_names": list(self.full.class_names),
                "train_size": len(self.train), "val_size": len(self.val)}


def load_dataset(config: TrainingConfig, base_dir: str | Path | None = None) -> DataSet:
    source = config.data.source
    if not source:
        raise TrainingError(f"no data set chosen: set training.data.source to a built-in "
                            f"({', '.join(builtin_names()[:4])}, …) or a file, or pass --data")
    options = dict(config.data.options)
    if source in builtin_names():
        options.setdefault("seed", config.seed)
    return load_data(source, base_dir=base_dir, **options)


def prepare_data(config: TrainingConfig, base_dir: str | Path | None = None) -> PreparedData:
    """Load, split (seeded, stratified for classes) and optionally standardise."""
    full = load_dataset(config, base_dir)
    if full.task == TAGGING:  # split the sentences first: the vocabulary is the training part's
        from .tokens_data import split_tagging

        return PreparedData(*split_tagging(full, config.data.val_fraction, config.seed), None)
    # split() returns subsets; splitting the sample numbers gives the indices of the same draw
    numbers = replace(full, x=np.arange(len(full))[:, None])
    train_part, val_part = split(numbers, config.data.val_fraction, config.seed, config.data.stratify)
    train_index, val_index = train_part.x[:, 0], val_part.x[:, 0]
    train, val = full.subset(train_index), full.subset(val_index)
    scaling = None
    if config.data.standardise:
        train, val, scaling = standardise(train, val)
    return PreparedData(full, train, val, train_index, val_index, scaling)


def _shape(shape) -> str:
    return str(tuple(shape))


def _producer(doc: GraphDocument, output_id: str) -> str:
    """The node whose value an output returns (an Output node passes its input on)."""
    node = doc.nodes[output_id]
    if doc.spec_for(node.type).is_output and doc.in_edges(output_id):
        return doc.in_edges(output_id)[0].source
    return output_id


def check_graph(doc: GraphDocument, report: ShapeReport, ds: DataSet, config: TrainingConfig) -> None:
    """Refuse a graph that cannot train on ``ds`` with ``config``, saying why."""
    if report.errors:
        first = report.errors[0]
        raise TrainingError(f"the graph has errors; fix them first: {first.message}", first.node_id)
    inputs = [n for n, node in doc.nodes.items() if doc.spec_for(node.type).is_input]
    if len(inputs) != 1:
        raise TrainingError(f"training needs exactly one Input node; this graph has {len(inputs)}")
    input_id, params = inputs[0], doc.nodes[inputs[0]].params
    if ds.task == TAGGING:  # sentences of any length: the Input's length is only an example
        from .tagging_checks import TaggingProblem, check_tagging_graph

        try:
            check_tagging_graph(doc, report, ds, config, input_id)
        except TaggingProblem as problem:
            raise TrainingError(str(problem), problem.node_id) from None
        _check_freeze(doc, report, config)
        return
    if tuple(params["shape"]) != ds.input_shape:
        raise TrainingError(f"Input '{input_id}' is {_shape(params['shape'])} but {ds.name} gives "
                            f"{_shape(ds.input_shape)}", input_id)
    if params["dtype"] != ds.dtype:
        raise TrainingError(f"Input '{input_id}' takes {params['dtype']} but {ds.name} gives {ds.dtype} values",
                            input_id)
    if len(report.outputs) != 1:
        raise TrainingError(f"training needs exactly one model output; this graph returns {len(report.outputs)} "
                            f"({', '.join(report.outputs)})")
    _check_output(doc, report, ds, config)
    _check_freeze(doc, report, config)


def _flatten_hint(report: ShapeReport, producer: str, got: tuple) -> str | None:
    """Why an output has dimensions the loss cannot use, when the cause is the usual one: a
    layer that acts on the last dimension (Linear) fed a feature map instead of a vector."""
    inputs = report.nodes[producer].inputs
    if len(got) < 2 or not inputs or len(inputs[0].shape) < 2:
        return None
    dims = len(inputs[0].shape) + 1
    return (f"it gets a {dims}-D tensor {inputs[0].text()} and acts on its last dimension only; "
            "add a Flatten before it")


def _check_output(doc: GraphDocument, report: ShapeReport, ds: DataSet, config: TrainingConfig) -> None:
    producer = _producer(doc, report.outputs[0])
    label = f"{doc.nodes[producer].type} '{producer}'"
    got = report.value_type(report.outputs[0]).shape
    loss = config.loss.name
    if ds.task == CLASSIFICATION:
        n = ds.num_classes
        fits = got == (n,) or (got == (1,) and n == 2 and loss in SINGLE_LOGIT_LOSSES)
        if not fits:
            hint = _flatten_hint(report, producer, got) or (
                f"set its out_features to {n}" if doc.nodes[producer].type == "Linear" else
                f"end the graph with a Linear of out_features {n}")
            raise TrainingError(f"{label} outputs (N, {', '.join(map(str, got))}) but {ds.name} has {n} classes: "
                                f"{hint}", producer)
        weights = config.loss.class_weights
        if weights is not None and len(weights) != n:
            raise TrainingError(f"training.loss.class_weights: {len(weights)} weights for {n} classes")
        if loss == "nll" and doc.nodes[producer].type != "LogSoftmax":
            raise TrainingError("the nll loss expects log-probabilities: end the graph with LogSoftmax, "
                                "or use cross_entropy", producer)
        if loss in VALUE_LOSSES:
            raise TrainingError(f"training.loss.name: {loss} needs target values but {ds.name} is a "
                                "classification data set; use cross_entropy")
    else:
        want = ds.y.shape[1:]
        if got != want:
            hint = _flatten_hint(report, producer, got)
            raise TrainingError(f"{label} outputs (N, {', '.join(map(str, got))}) but {ds.name} has "
                                f"{want[0]} target value(s) per sample" + (f": {hint}" if hint else ""), producer)
        if config.loss.class_weights is not None:
            raise TrainingError(f"training.loss.class_weights: {ds.name} is a regression data set, without classes "
                                "to weight")
        if loss in CLASS_LOSSES:
            raise TrainingError(f"training.loss.name: {loss} needs class labels but {ds.name} is a regression "
                                "data set; use mse, l1, smooth_l1 or huber")
        if loss in POSITIVE_OUTPUT_LOSSES:
            _check_rates(doc.nodes[producer].type, label, producer, ds, loss)


NON_NEGATIVE_LAYERS = ("Softplus", "ReLU", "ReLU6", "Sigmoid")  # a single Softmax output is always 1


def _check_rates(producer_type: str, label: str, producer: str, ds: DataSet, loss: str) -> None:
    """A loss that reads the output as a rate (a Poisson mean) needs rates and counts that
    are not negative: a negative output has no logarithm, a negative count no probability."""
    if producer_type not in NON_NEGATIVE_LAYERS:
        raise TrainingError(f"training.loss.name: {loss} reads the output as a rate, which must not be "
                            f"negative, but {label} can output any value: end the graph with Softplus",
                            producer)
    lowest = float(ds.y.min()) if len(ds.y) else 0.0
    if lowest < 0:
        raise TrainingError(f"training.loss.name: {loss} models counts or rates of at least 0, but {ds.name} "
                            f"has targets down to {lowest:g}; use mse, huber or gaussian_nll")


def _check_freeze(doc: GraphDocument, report: ShapeReport, config: TrainingConfig) -> None:
    """Every entry must name something with weights (see :mod:`netbuilder.core.freeze`)."""
    with_weights = {node_id: node_id for node_id, info in report.nodes.items() if info.params}
    for entry in config.freeze:
        _, problems = freeze_paths(doc, [entry], with_weights)
        if problems:
            raise TrainingError(f"training.freeze: {problems[0]}", entry if entry in doc.nodes else None)


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU; a named device must exist."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise TrainingError(f"training.device: {name} is not available on this machine "
                            f"(PyTorch {torch.__version__}); use auto or cpu")
    return torch.device(name)
