"""Undo commands of the search: the space itself, and a trial's values written into the graph.

Each holds plain data only (the search section, parameter values by node id), like
every command in :mod:`netbuilder.ui.commands`.
"""

from __future__ import annotations

import copy

from PySide6.QtGui import QUndoCommand

from ...core.search_space import apply_values, parse_target


class SetSearchCommand(QUndoCommand):
    """Replace the document's search section (a vary toggle, a range, the study's settings)."""

    def __init__(self, doc, search: dict, text: str = "Change search space"):
        super().__init__(text)
        self.doc, self.new, self.old = doc, copy.deepcopy(search), copy.deepcopy(doc.search)

    def redo(self):
        self.doc.set_search(self.new)

    def undo(self):
        self.doc.set_search(self.old)


class ApplyValuesCommand(QUndoCommand):
    """Write one trial's values into the graph: its node parameters and training settings, one step."""

    def __init__(self, doc, values: dict, text: str = "Apply search trial"):
        super().__init__(text)
        self.doc = doc
        trial = apply_values(doc, values)  # validates every value first: a refusal changes nothing
        nodes = {parse_target(t).node for name in values for t in doc.search["space"][name]["targets"]
                 if parse_target(t).training_path is None and parse_target(t).block is None}
        self.new_params = {n: dict(trial.nodes[n].params) for n in nodes}
        self.old_params = {n: dict(doc.nodes[n].params) for n in nodes}
        self.new_training, self.old_training = trial.training, copy.deepcopy(doc.training)

    def _put(self, params: dict, training: dict) -> None:
        for node_id, values in params.items():
            for name, value in values.items():
                if self.doc.nodes[node_id].params.get(name) != value:
                    self.doc.set_param(node_id, name, value)
        if training != self.doc.training:
            self.doc.set_training(training)

    def redo(self):
        self._put(self.new_params, self.new_training)

    def undo(self):
        self._put(self.old_params, self.old_training)


def set_search(editor, search: dict, text: str = "Change search space") -> None:
    """Push the change if there is one; raises :class:`GraphError` (nothing pushed) for a bad space."""
    if search == editor.doc.search:
        return
    from ...core.errors import GraphError
    from ...core.search_space import space_problems

    problems = space_problems(search, editor.doc)
    if problems:
        raise GraphError(problems)
    editor.push(SetSearchCommand(editor.doc, search, text))


def apply_trial(editor, values: dict, number: int | None = None) -> None:
    label = f"Apply search trial {number}" if number is not None else "Apply search trial"
    editor.push(ApplyValuesCommand(editor.doc, values, label))
