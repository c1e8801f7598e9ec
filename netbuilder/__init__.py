"""netbuilder: draw neural networks, train them, export plain PyTorch.

The public Python API (stable names, used by scripts and notebooks)::

    import netbuilder as nb
    doc = nb.load_graph("examples/digits_cnn.json")
    report = nb.infer_shapes(doc)
    model = nb.build_model(doc)
    source = nb.export_python(doc, class_name="Net")
    nb.save_graph(doc, "copy.json")
"""

from .core.compiler import build_model
from .core.document import Edge, GraphDocument, Node
from .core.errors import GraphError, NetbuilderError
from .core.export import export_python
from .core.fileformat import load_graph, save_graph
from .core.shapes import infer_shapes

__version__ = "0.1.0"

__all__ = [
    "Edge",
    "GraphDocument",
    "GraphError",
    "NetbuilderError",
    "Node",
    "build_model",
    "export_python",
    "infer_shapes",
    "load_graph",
    "save_graph",
]

from .interop.fx_import import import_module  # noqa: E402  (PyTorch import: nb.import_module(module, example))

__all__ += ["import_module"]
