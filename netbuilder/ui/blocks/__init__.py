"""Blocks in the GUI: the scoped canvas, grouping, the breadcrumb, the Blocks palette.

:class:`ScopeEditor` is what the canvas and the inspector edit through (the
document, or a block definition in it); :func:`install_blocks` adds the rest
to a main window.
"""

from .scope import ScopeEditor, Step
from .window import BlockTools, install_blocks

__all__ = ["BlockTools", "ScopeEditor", "Step", "install_blocks"]
