"""Compiling a document into a live ``nn.Module``.

The generated class (see :mod:`codegen`) is executed in a fresh namespace that
holds only ``torch`` and ``nn``; its source is registered with ``linecache`` so
tracebacks show the real lines, and :func:`node_for_line` maps each line back
to the node that wrote it, so run-time errors name the node
(:func:`node_for_exception`) and the importer recovers exact ids.
"""

from __future__ import annotations

import itertools
import linecache
import os
import traceback
import weakref

import torch
from torch import nn

from .codegen import GeneratedModel, generate
from .document import GraphDocument
from .errors import GraphError
from .shapes import ShapeReport, infer_shapes

_counter = itertools.count(1)
_LINE_MAPS: dict[str, dict[int, str]] = {}


def compile_class(generated: GeneratedModel) -> type[nn.Module]:
    """Execute the generated class source and return the class."""
    filename = f"<netbuilder model {next(_counter)}: {generated.class_name}>"
    source = "import torch\nfrom torch import nn\n\n" + generated.class_source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    offset = 3  # the two import lines and the blank line above
    _LINE_MAPS[filename] = {line + offset: node for line, node in generated.line_of.items()}
    namespace = {"__name__": "netbuilder.generated", "torch": torch, "nn": nn}
    exec(compile(source, filename, "exec"), namespace)  # our own generated, validated code
    cls = namespace[generated.class_name]
    weakref.finalize(cls, _forget, filename)  # a long GUI session compiles many models
    return cls


def _forget(filename: str) -> None:
    linecache.cache.pop(filename, None)
    _LINE_MAPS.pop(filename, None)


def build_model(doc: GraphDocument, report: ShapeReport | None = None) -> nn.Module:
    """A fresh ``nn.Module`` for ``doc`` (random initial weights).

    Raises :class:`~netbuilder.core.errors.GraphError` listing every error if
    the graph is not valid. ``model.netbuilder_source`` holds the class source.
    """
    report = report or infer_shapes(doc)
    _check_fits_in_memory(doc, report)
    generated = generate(doc, report=report)
    model = compile_class(generated)()
    model.netbuilder_source = generated.class_source
    model.netbuilder_inputs = list(generated.input_ids)
    return model


def _check_fits_in_memory(doc: GraphDocument, report: ShapeReport) -> None:
    """Refuse, before allocating anything, a model whose float32 weights
    alone exceed this machine's memory (the allocator's own failure is a raw
    text after minutes of swapping)."""
    needed, memory = report.total_params * 4, physical_memory()
    if memory is not None and needed > memory:
        raise GraphError([f"the model has {report.total_params:,} parameters: {needed / 2**30:,.1f} GiB of "
                          f"weights, more than this machine's {memory / 2**30:,.1f} GiB of memory; make the "
                          "largest layers smaller"], doc.name)


def physical_memory() -> int | None:
    """Bytes of RAM, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def node_for_line(filename: str, lineno: int) -> str | None:
    """The id of the node that wrote line ``lineno`` of a compiled model's
    source ``filename`` (a frame's ``co_filename``), if any.

    Exact even where the code calls the value ``x``: the importer reads ids of
    netbuilder's own models through it. Exported files have no such map.
    """
    return _LINE_MAPS.get(filename, {}).get(lineno)


def node_for_exception(err: BaseException) -> str | None:
    """The id of the node whose line of a compiled model raised ``err`` (in
    ``__init__`` or ``forward``, however deep inside torch), if any."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        node = node_for_line(frame.filename, frame.lineno)
        if node is not None:
            return node
    return None
