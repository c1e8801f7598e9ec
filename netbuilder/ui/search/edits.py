"""Undo commands of the search: the space itself, and a trial's values written into the graph.

Each holds plain data only (the search section, parameter values by node id), like
every command in :mod:`netbuilder.ui.commands`. The search section is the top
document's, also while the canvas shows a block (whose nodes it names
``Block/node.param``).
"""

from __future__ import annotations

import copy

from PySide6.QtGui import QUndoCommand

from ...core.search_space import BYPASS, apply_values, parse_target


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
    """Write one trial's node parameters and training settings into the graph (the nodes
    it skips are :func:`apply_trial`'s)."""

    def __init__(self, doc, values: dict, text: str = "Apply search trial"):
        super().__init__(text)
        self.doc = doc
        trial = apply_values(doc, values)  # validates every value first: a refusal changes nothing
        targets = [parse_target(t) for name in values for t in doc.search["space"][name]["targets"]]
        nodes = {t.node for t in targets if t.training_path is None and t.block is None and t.node in trial.nodes}
        self.new_params = {n: dict(trial.nodes[n].params) for n in nodes}
        self.old_params = {n: dict(doc.nodes[n].params) for n in nodes}
        self.new_training, self.old_training = trial.training, copy.deepcopy(doc.training)
        self.skipped = [n for n in doc.nodes if n not in trial.nodes]
        self.through = [e for e in trial.edges if e not in doc.edges]  # a chain of skips: one wire

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
    """Push the change if there is one; raises :class:`GraphError` (nothing pushed) for a bad space,
    a node that cannot be bypassed among them (its shapes from the editor's report)."""
    from ...core.errors import GraphError
    from ...core.search_space import bypass_problems, space_problems

    top = editor.doc.library
    if search == top.search:
        return
    problems = space_problems(search, top)
    if not problems and any(parse_target(t).param == BYPASS for v in search.get("space", {}).values()
                            for t in v["targets"]):
        trial = top.copy()
        trial.search = search
        report = getattr(editor, "top", editor).report if editor.core_loaded else None
        problems = bypass_problems(trial, report)
    if problems:
        raise GraphError(problems)
    editor.push(SetSearchCommand(top, search, text))


def apply_trial(editor, values: dict, number: int | None = None) -> None:
    """One undo step: the values, then each node the trial skips deleted (its search targets
    with it) and its input wired to what it fed."""
    label = f"Apply search trial {number}" if number is not None else "Apply search trial"
    command = ApplyValuesCommand(editor.doc, values, label)
    editor.undo_stack.beginMacro(label)
    try:
        editor.push(command)
        editor.remove_nodes(command.skipped)
        for edge in command.through:
            editor.connect_ports(edge.source, edge.source_port, edge.target, edge.target_port)
    finally:
        editor.undo_stack.endMacro()
