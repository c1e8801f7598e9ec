"""Choosing each kind of loss in the Training panel: its own settings show, are stored
in the graph and undone; a loss no data set can feed is refused naming the setting."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.train.recipe import LOSSES
from netbuilder.ui.editor import Editor
from netbuilder.ui.training import preflight
from netbuilder.ui.training.controller import TrainingController
from netbuilder.ui.training.dock import TrainDock

pytestmark = pytest.mark.timeout(120)
LOSS_ROWS = ("loss.label_smoothing", "loss.focal_gamma", "loss.delta", "loss.margin", "loss.margin_p",
             "loss.variance", "loss.full")


def mlp() -> GraphDocument:
    doc = GraphDocument("iris_mlp")
    prev = None
    for i, (layer_type, params) in enumerate([("Input", {"shape": [4]}), ("Linear", {"out_features": 16}),
                                              ("ReLU", {}), ("Linear", {"out_features": 3})]):
        node_id = doc.add_node(layer_type, params, (220.0 * i, 0.0))
        if prev:
            doc.connect(Edge(prev, node_id))
        prev = node_id
    doc.training = {"version": 1, "data": {"source": "iris"}, "epochs": 2}
    return doc


@pytest.fixture
def form(qtbot, tmp_path):
    editor = Editor(mlp())
    panel = TrainDock(editor, TrainingController(editor, runs_dir=tmp_path / "runs"))
    qtbot.addWidget(panel)
    panel.resize(1200, 420)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel.settings  # the panel stays referenced (alive) until the test ends


def choose(form, name: str) -> None:
    combo = form.widgets["loss.name"]
    combo.setCurrentText(name)
    combo.activated.emit(combo.currentIndex())


def shown_rows(form) -> set[str]:
    return {path for path in LOSS_ROWS if not form.rows[path][1].isHidden()}


def test_every_loss_is_offered_with_its_description(form):
    combo = form.widgets["loss.name"]
    assert [combo.itemText(i) for i in range(combo.count())] == list(LOSSES)
    tips = {combo.itemText(i): combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())}
    assert "Softplus" in tips["poisson_nll"] and "fixed variance" in tips["gaussian_nll"]
    assert tips["triplet_margin"].startswith("Refused: needs triplets")


@pytest.mark.parametrize("name, rows", [
    ("huber", {"loss.delta"}),
    ("smooth_l1", {"loss.delta"}),
    ("multi_margin", {"loss.margin", "loss.margin_p"}),
    ("multilabel_margin", set()),
    ("soft_margin", set()),
    ("multilabel_soft_margin", {"loss.label_smoothing"}),
    ("poisson_nll", {"loss.full"}),
    ("gaussian_nll", {"loss.variance", "loss.full"}),
])
def test_choosing_a_loss_stores_it_and_shows_only_its_settings(form, name, rows):
    choose(form, name)
    assert form.editor.doc.training["loss"] == {"name": name}
    assert shown_rows(form) == rows
    form.editor.undo_stack.undo()
    assert "loss" not in form.editor.doc.training and shown_rows(form) == {"loss.label_smoothing"}


def test_loss_settings_are_edited_validated_and_undone(form):
    editor, errors = form.editor, []
    form.error.connect(errors.append)
    choose(form, "huber")
    form.widgets["loss.delta"].setValue(0.5)
    assert editor.doc.training["loss"] == {"name": "huber", "delta": 0.5}
    choose(form, "multi_margin")
    power = form.widgets["loss.margin_p"]
    assert power.maximum() == 2
    power.setValue(2)
    form.widgets["loss.margin"].setValue(0.25)
    assert editor.doc.training["loss"] == {"name": "multi_margin", "delta": 0.5, "margin_p": 2, "margin": 0.25}
    choose(form, "gaussian_nll")
    variance = form.widgets["loss.variance"]
    variance.setText("0")
    variance.editingFinished.emit()
    assert "training.loss.variance" in errors[-1] and "variance" not in editor.doc.training["loss"]
    variance.setText("2.5e-1")
    variance.editingFinished.emit()
    form.widgets["loss.full"].setChecked(True)
    assert editor.doc.training["loss"]["variance"] == 0.25 and editor.doc.training["loss"]["full"] is True
    editor.undo_stack.undo()
    assert "full" not in editor.doc.training["loss"] and not form.widgets["loss.full"].isChecked()


@pytest.mark.parametrize("name, words", [
    ("cosine_embedding", "pairs of inputs"), ("margin_ranking", "pairs of samples"),
    ("triplet_margin", "triplets"), ("triplet_margin_with_distance", "distance function"),
    ("hinge_embedding", "one distance per pair"), ("ctc", "target sequence of labels"),
])
def test_a_loss_no_data_set_can_feed_is_refused_naming_the_setting(form, name, words):
    errors = []
    form.error.connect(errors.append)
    choose(form, name)
    assert errors and errors[-1].startswith("training.loss.name: ") and words in errors[-1]
    assert "loss" not in form.editor.doc.training


def test_a_loss_that_does_not_fit_the_data_stops_train_before_it_starts(form):
    choose(form, "poisson_nll")
    doc = form.editor.doc
    problems = preflight.check(doc, form.editor.report, doc.training)
    assert problems and "poisson_nll needs target values but iris is a classification" in problems[0][0]
    choose(form, "soft_margin")
    assert preflight.check(doc, form.editor.report, doc.training) == []
