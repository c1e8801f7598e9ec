"""The node-graph canvas: a :class:`GraphView` on an :class:`~netbuilder.ui.editor.Editor`.

Palette drags carry the layer type name (utf-8) under :data:`LAYER_MIME`.
"""

from .node_item import NodeItem, PortRef
from .view import LAYER_MIME, GraphView

__all__ = ["LAYER_MIME", "GraphView", "NodeItem", "PortRef"]
