"""The node-graph canvas: a :class:`GraphView` on an :class:`~netbuilder.ui.editor.Editor`.

Palette drags carry the layer type name (utf-8) under :data:`LAYER_MIME`.
"""

from ._refcount_guard import make_singletons_immortal

make_singletons_immortal()  # before any painting: see _refcount_guard

from .node_item import NodeItem, PortRef  # noqa: E402
from .view import LAYER_MIME, GraphView  # noqa: E402

__all__ = ["LAYER_MIME", "GraphView", "NodeItem", "PortRef"]
