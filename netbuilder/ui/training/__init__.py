"""GUI training: the Training panel, its background worker, live plots, results and runs.

:func:`install_training` adds everything to a main window; the pieces are
usable on their own (tests and benchmarks build a :class:`TrainDock` around a
bare :class:`~netbuilder.ui.editor.Editor`).
"""

from .controller import TrainingController
from .dock import TrainDock
from .install import TrainingHook, install_training

__all__ = ["TrainDock", "TrainingController", "TrainingHook", "install_training"]
