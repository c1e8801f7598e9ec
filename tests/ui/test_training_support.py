"""Shared helpers of the training GUI tests (imported by test_training_*.py; holds no tests)."""

from __future__ import annotations

from pathlib import Path

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import load_graph

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_cnn.json"


def small_cnn(name: str = "digits_small") -> GraphDocument:
    """A CNN for the 8×8 digits small enough that an epoch takes a fraction of a second."""
    doc = GraphDocument(name)
    chain = [("Input", {"shape": [1, 8, 8]}),
             ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}), ("ReLU", {}),
             ("MaxPool2d", {"kernel_size": 2}), ("Flatten", {}), ("Linear", {"out_features": 10})]
    prev = None
    for i, (layer_type, params) in enumerate(chain):
        node_id = doc.add_node(layer_type, params, (220.0 * i, 0.0))
        if prev:
            doc.connect(Edge(prev, node_id))
        prev = node_id
    doc.training = {"version": 1, "data": {"source": "digits"}}
    return doc


def digits_cnn() -> GraphDocument:
    """The bundled digits example (what a new user trains first), or the small CNN
    while the example is not there."""
    return load_graph(EXAMPLE) if EXAMPLE.is_file() else small_cnn("digits_cnn")


def input_id(doc: GraphDocument) -> str:
    return next(n for n, node in doc.nodes.items() if node.type == "Input")


def with_training(doc: GraphDocument, **settings) -> GraphDocument:
    """``doc`` with training settings merged in (nested dicts merged one level)."""
    training = dict(doc.training or {})
    training.setdefault("data", {"source": "digits"})
    for key, value in settings.items():
        if isinstance(value, dict) and isinstance(training.get(key), dict):
            training[key] = {**training[key], **value}
        else:
            training[key] = value
    doc.training = training
    return doc


def resume_dialog(dock):
    """The Resume dialog that Runs → Resume opened (window-modal, never blocking)."""
    from netbuilder.ui.training.resume_dialog import ResumeDialog

    shown = [d for d in dock.findChildren(ResumeDialog) if d.isVisible()]
    assert len(shown) == 1, shown
    return shown[0]
