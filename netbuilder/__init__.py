"""netbuilder: draw neural networks, train them, export plain PyTorch.

The public Python API (stable names, used by scripts and notebooks)::

    import netbuilder as nb
    doc = nb.load_graph("examples/digits_cnn.json")
    report = nb.infer_shapes(doc)
    model = nb.build_model(doc)
    source = nb.export_python(doc, class_name="Net")
    nb.save_graph(doc, "copy.json")

Nothing is imported until it is used (PEP 562), so ``netbuilder --help``, the GUI's
first paint and a training worker setting its thread policy do not pay for PyTorch.
"""

from importlib import import_module as _import

__version__ = "0.1.0"

_HOMES = {
    "Edge": "core.document",
    "GraphDocument": "core.document",
    "Node": "core.document",
    "GraphError": "core.errors",
    "NetbuilderError": "core.errors",
    "build_model": "core.compiler",
    "export_python": "core.export",
    "infer_shapes": "core.shapes",
    "load_graph": "core.fileformat",
    "save_graph": "core.fileformat",
    "import_module": "interop.model_import",  # a PyTorch module as a graph: nb.import_module(module, example)
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'netbuilder' has no attribute {name!r}")
    value = getattr(_import(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
