"""The Search panel: run the graph's study in a worker process and watch its trials race.

Sampler, pruner and budget are the document's ``search.study`` settings (edits
are undo steps, saved with the graph). Start spawns a study process
(:mod:`.process`) on the SQLite file beside the graph, so a study stopped,
or left when the app closed, continues on the next Start: its earlier trials
come back in the table first. The window stays responsive: the panel only
draws the plain events a pump hands it a few dozen times a second.
"Apply to graph" writes the selected (or best) trial's values into the graph
as one undo step; "Train this one" does that and starts a normal training run.
A study already beside the graph is read when the panel opens and when a graph
is opened (on a thread: Optuna and the database take a moment), so its trials,
best curve and importances show before Start is pressed.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import GraphError, NetbuilderError
from ...core.fileformat import dumps
from ...core.search_space import DEFAULT_STUDY, PRUNERS, SAMPLERS
from ...train.search_events import (
    Importances,
    StudyFailed,
    StudyFinished,
    StudySnapshot,
    StudyStarted,
    TrialEnded,
    TrialEpoch,
    TrialStarted,
)
from .edits import apply_trial, set_search
from .plots import SearchPlots

NUMBER, STATE, VALUE = 0, 1, 2


class SearchPanel(QWidget):
    message = Signal(str)
    trainRequested = Signal()
    trialEnded = Signal(int)  # a trial's number, once its row shows its result
    studyEnded = Signal()  # the study process is done (finished, stopped or failed) and Start is back
    studyShown = Signal()  # a study read from the file beside the graph fills the panel
    _studyRead = Signal(int, object)  # (which read, StudySnapshot | None | error text), from the reading thread

    def __init__(self, editor, path_provider, parent=None):
        super().__init__(parent)
        self.editor, self._path = editor, path_provider
        self.process = self.pump = None
        self.rows: dict[int, dict] = {}
        self.variables: list[str] = []
        self.direction, self.metric_name = "minimize", "value"
        self.best_number: int | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 4, 6, 4)
        bar = QHBoxLayout()
        self.sampler = QComboBox(objectName="search_sampler")
        self.sampler.addItems(list(SAMPLERS))
        self.pruner = QComboBox(objectName="search_pruner")
        self.pruner.addItems(list(PRUNERS))
        self.trials = QSpinBox(objectName="search_trials", minimum=1, maximum=100000)
        self.timeout = QSpinBox(objectName="search_timeout", minimum=0, maximum=100000, suffix=" min")
        self.timeout.setSpecialValueText("no time limit")
        for widget, label in ((self.sampler, "Sampler"), (self.pruner, "Pruner"), (self.trials, "Trials"),
                              (self.timeout, "Time")):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        self.sampler.activated.connect(lambda _i: self._study_edited("sampler", self.sampler.currentText()))
        self.pruner.activated.connect(lambda _i: self._study_edited("pruner", self.pruner.currentText()))
        self.trials.editingFinished.connect(lambda: self._study_edited("trials", self.trials.value()))
        self.timeout.editingFinished.connect(
            lambda: self._study_edited("timeout", self.timeout.value() * 60 if self.timeout.value() else None))
        self.start_button = QPushButton("Start", objectName="search_start")
        self.stop_button = QPushButton("Stop", objectName="search_stop", enabled=False)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        bar.addWidget(self.start_button)
        bar.addWidget(self.stop_button)
        bar.addStretch(1)
        outer.addLayout(bar)
        self.status = QLabel("Mark settings as 'vary' in the Inspector or the training settings, then Start.",
                             objectName="search_status")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 3, objectName="search_trials_table")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        column.addWidget(self.table)
        buttons = QHBoxLayout()
        self.apply_button = QPushButton("Apply to graph", objectName="search_apply", enabled=False)
        self.train_button = QPushButton("Train this one", objectName="search_train", enabled=False)
        self.apply_button.clicked.connect(self.apply_selected)
        self.train_button.clicked.connect(self.train_selected)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.train_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        split.addWidget(left)
        self.plots = SearchPlots()
        split.addWidget(self.plots)
        split.setSizes([420, 420])
        outer.addWidget(split, 1)
        editor.documentChanged.connect(self._doc_changed)
        self._show_study_settings()
        self._reads = 0  # a read still under way when another graph opens is ignored
        self._studyRead.connect(self._show_snapshot)
        self.read_study()

    # -- the study's settings (in the document) ---------------------------------------------------
    def _doc_changed(self, change) -> None:
        if change.kind in ("meta_changed", "reset"):
            self._show_study_settings()
        if change.kind == "reset" and not self.running:  # another graph: its own study, if it has one
            self.rows, self.best_number = {}, None
            self.plots.clear()
            self._show_rows()
            self.read_study()

    # -- a study already beside the graph -----------------------------------------------------------
    def read_study(self) -> bool:
        """Read the saved graph's study on a thread; its trials fill the panel when read."""
        path = self._path()
        self._reads += 1
        if self.running or not path or not self.editor.doc.search.get("space"):
            return False
        from ...train.search_optuna import default_storage

        args = (self._reads, default_storage(path), self.editor.doc.name)
        threading.Thread(target=self._read, args=args, name="netbuilder-study-read", daemon=True).start()
        return True

    def _read(self, token: int, url: str, name: str) -> None:
        from ...train.search_optuna import study_snapshot

        try:
            result = study_snapshot(url, name)
        except Exception as err:  # noqa: BLE001 - a database that cannot be read: said, never raised
            result = f"The study beside the graph cannot be read: {err}"
        try:
            self._studyRead.emit(token, result)
        except RuntimeError:  # the panel went while the study was read
            pass

    def _show_snapshot(self, token: int, snapshot) -> None:
        if token != self._reads or self.running:
            return
        if isinstance(snapshot, str):
            self.status.setText(snapshot)
            return
        if not isinstance(snapshot, StudySnapshot):
            return
        self.variables = list(self.editor.doc.search.get("space", {}))
        self.metric_name, self.direction = snapshot.metric, snapshot.direction
        self.plots.direction = snapshot.direction
        self.rows = {r["number"]: dict(r) for r in snapshot.trials}
        self.best_number = snapshot.best_number
        if snapshot.importances:
            self.plots.show_importances(snapshot.importances)
        best = "" if snapshot.best_value is None else \
            f"; best: trial {snapshot.best_number}, {snapshot.metric} {snapshot.best_value:.4f}"
        self.status.setText(f"Study {snapshot.study_name!r} beside the graph: {len(snapshot.trials)} trials{best}. "
                            "Start continues it.")
        self._show_rows()
        self.studyShown.emit()

    def _show_study_settings(self) -> None:
        study = {**DEFAULT_STUDY, **(self.editor.doc.search.get("study") or {})}
        for combo, key in ((self.sampler, "sampler"), (self.pruner, "pruner")):
            combo.setCurrentText(study[key])
        self.trials.setValue(int(study["trials"]))
        self.timeout.setValue(int((study.get("timeout") or 0) // 60))

    def _study_edited(self, key: str, value) -> None:
        search = copy.deepcopy(self.editor.doc.search)
        study = search.setdefault("study", dict(DEFAULT_STUDY))
        if value is None:
            study.pop(key, None)
        else:
            study[key] = value
        search.setdefault("space", {})
        try:
            set_search(self.editor, search, f"Search {key}")
        except GraphError as err:
            self.status.setText(str(err))

    # -- running ------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.pump is not None and self.pump.running

    def start(self) -> bool:
        """Start (or continue) the study; False with the reason shown when it cannot."""
        from ...train.search import SearchOptions, default_storage
        from ...train.search_worker import SearchRequest
        from ..training.worker import EventPump
        from .process import SearchProcess

        if self.running:
            return False
        path = self._path()
        if not (self.editor.doc.search.get("space")):
            self.status.setText("Nothing varies yet: check 'vary' beside a parameter in the Inspector "
                                "or beside a training setting.")
            return False
        if not path:
            self.status.setText("Save the graph first: its study is kept in a file beside it.")
            return False
        folder = Path(path).resolve().parent
        options = SearchOptions(storage=default_storage(path), study_name=self.editor.doc.name)
        request = SearchRequest(dumps(self.editor.doc), options, str(folder), str(folder / "runs"))
        self.status.setText("Starting the study…")
        self._reads += 1  # a read of the file still under way would show an older table
        self.process = SearchProcess()
        self.pump = EventPump(lambda: self.process.events(request), name="netbuilder-search", parent=self)
        self.pump.events.connect(self._on_events)
        self.pump.finished.connect(self._on_finished)
        self.pump.start()
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.status.setText("Stopping after this batch; the unfinished trial is tried again next time.")

    def shutdown(self) -> None:
        """The window closes: stop the study and let its process go."""
        if self.process is not None:
            self.process.close()
        if self.pump is not None:
            self.pump.wait(5)

    def _on_finished(self) -> None:
        if self.process is not None:
            self.process.close()
        self.process = self.pump = None
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.studyEnded.emit()

    # -- events -------------------------------------------------------------------------------------
    def _on_events(self, batch: list) -> None:
        ended, trials = False, []
        for event in batch:
            if isinstance(event, StudyStarted):
                self.variables, self.metric_name, self.direction = list(event.variables), event.metric, event.direction
                self.plots.direction = event.direction
                self.rows = {r["number"]: dict(r) for r in event.trials}
                more = f", continuing {event.done} trials" if event.done else ""
                self.status.setText(f"Study {event.study_name!r}: {event.direction} {event.metric}{more}; "
                                    f"{event.planned} to try.")
                ended = True
            elif isinstance(event, TrialStarted):
                self.rows[event.number] = {"number": event.number, "state": "running", "params": event.params,
                                           "value": None, "duration": None, "reason": "", "curve": []}
                ended = True
            elif isinstance(event, TrialEpoch):
                row = self.rows.setdefault(event.number, {"number": event.number, "state": "running", "params": {},
                                                          "value": None, "duration": None, "curve": []})
                if event.value is not None:
                    row["curve"] = [*row.get("curve", []), event.value]
                row["reason"] = f"epoch {event.epoch}/{event.epochs}"
                self.status.setText(f"Trial {event.number}: epoch {event.epoch}/{event.epochs}")
            elif isinstance(event, TrialEnded):
                self.rows[event.number] = {"number": event.number, "state": event.state, "params": event.params,
                                           "value": event.value, "duration": event.duration, "reason": event.reason,
                                           "node_id": event.node_id, "curve": list(event.curve)}
                self.best_number = event.best_number
                ended = True
                trials.append(event.number)
            elif isinstance(event, Importances):
                self.plots.show_importances(event.values)
            elif isinstance(event, StudyFinished):
                self.rows = {r["number"]: dict(r) for r in event.trials}
                self.best_number = event.best_number
                how = "stopped" if event.stopped else "finished"
                best = "" if event.best_value is None else \
                    f"; best: trial {event.best_number}, {self.metric_name} {event.best_value:.4f}"
                self.status.setText(f"Study {how}: {len(event.trials)} trials{best}.")
                ended = True
            elif isinstance(event, StudyFailed):
                self.status.setText(f"The study cannot run: {event.message}")
                self.message.emit(event.message)
        if ended:
            self._show_rows()
        for number in trials:
            self.trialEnded.emit(number)

    def _show_rows(self) -> None:
        rows = [self.rows[n] for n in sorted(self.rows)]
        names = list(dict.fromkeys([*self.variables, *(k for r in rows for k in r["params"])]))
        heads = ["trial", "state", self.metric_name, *names, "seconds", "note"]
        selected = self.selected_number()
        self.table.setSortingEnabled(False)
        self.table.setColumnCount(len(heads))
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = [r["number"], r["state"], r["value"], *(r["params"].get(n) for n in names), r.get("duration"),
                     r.get("reason", "")]
            for j, value in enumerate(cells):
                item = QTableWidgetItem()
                if isinstance(value, float):
                    item.setData(Qt.ItemDataRole.DisplayRole, float(f"{value:.5g}"))
                elif value is not None:
                    item.setData(Qt.ItemDataRole.DisplayRole, value if isinstance(value, int) else str(value))
                if j == NUMBER:
                    item.setData(Qt.ItemDataRole.UserRole, r["number"])
                if r["number"] == self.best_number:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        if selected is not None:
            self.select(selected)
        logs = {n: bool(self.editor.doc.search.get("space", {}).get(n, {}).get("log")) for n in names}
        self.plots.show_trials(rows, names, logs)
        has_best = self._chosen() is not None
        self.apply_button.setEnabled(has_best)
        self.train_button.setEnabled(has_best)

    # -- choosing a trial ---------------------------------------------------------------------------
    def selected_number(self) -> int | None:
        items = self.table.selectedItems()
        for item in items:
            number = self.table.item(item.row(), NUMBER).data(Qt.ItemDataRole.UserRole)
            if number is not None:
                return int(number)
        return None

    def select(self, number: int) -> None:
        for i in range(self.table.rowCount()):
            if self.table.item(i, NUMBER).data(Qt.ItemDataRole.UserRole) == number:
                self.table.selectRow(i)
                return

    def _chosen(self) -> dict | None:
        """The selected trial if it completed, else the best one."""
        number = self.selected_number()
        row = self.rows.get(number) if number is not None else None
        if row is None or row["state"] != "complete":
            row = self.rows.get(self.best_number) if self.best_number is not None else None
        return row if row is not None and row["params"] else None

    def apply_selected(self) -> bool:
        row = self._chosen()
        if row is None:
            return False
        try:
            apply_trial(self.editor, row["params"], row["number"])
        except NetbuilderError as err:
            self.status.setText(f"Cannot apply trial {row['number']}: {err}")
            return False
        self.status.setText(f"Applied trial {row['number']} to the graph (Ctrl+Z takes it back).")
        return True

    def train_selected(self) -> None:
        if self.apply_selected():
            self.trainRequested.emit()
