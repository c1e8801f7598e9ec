"""GUI training: the Training panel, its background worker, live plots, results and runs.

:func:`install_training` adds everything to a main window; the pieces are
usable on their own (tests and benchmarks build a :class:`TrainDock` around a
bare :class:`~netbuilder.ui.editor.Editor`). The panel and pyqtgraph load on
first use, not when the window starts.
"""

from .controller import TrainingController
from .install import TrainingHook, install_training

__all__ = ["TrainDock", "TrainingController", "TrainingHook", "install_training"]


def __getattr__(name: str):
    if name == "TrainDock":
        from .dock import TrainDock

        return TrainDock
    raise AttributeError(name)
