"""The GAN's settings in the training form: every one editable through its widget, undoable,
checked against the graph with a message naming the field, and used by the next run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from journey_helpers import choose, click, type_into
from test_training_support import digits_cnn, with_training

from netbuilder.core.fileformat import load_graph
from netbuilder.ui.training import install_training

pytestmark = pytest.mark.timeout(300)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gan_digits.json"
SUPERVISED_ROWS = ("optimizer.name", "loss.name", "scheduler.name", "early_stopping.metric", "data.val_fraction")
GAN_ROWS = ("gan.generator", "gan.discriminator", "gan.latent_size", "gan.noise", "gan.d_steps",
            "gan.label_smoothing", "gan.generator_optimizer.lr", "gan.generator_optimizer.betas",
            "gan.discriminator_optimizer.lr", "gan.discriminator_optimizer.betas", "gan.samples")


def _panel(make_window, qtbot, tmp_path, doc=None):
    window = make_window()
    if doc is None:
        assert window.open_path(str(EXAMPLE))
    else:
        window.set_document(doc, None)
    hook = install_training(window, runs_dir=tmp_path / "runs")
    hook.show_panel()
    qtbot.waitExposed(hook.dock)
    window.resize(1400, 900)
    return window, hook


def _shown(form, path: str) -> bool:
    return form.rows[path][1].isVisibleTo(form)


def test_the_form_shows_the_gan_rows_for_a_gan_and_the_supervised_ones_otherwise(make_window, qtbot, tmp_path):
    window, hook = _panel(make_window, qtbot, tmp_path, with_training(digits_cnn(), epochs=1))
    form, dock = hook.dock.settings, hook.dock
    assert all(_shown(form, p) for p in SUPERVISED_ROWS) and not any(_shown(form, p) for p in GAN_ROWS)
    assert not form.headers["GAN"].isVisibleTo(form) and dock.data.label.text() == "Data"
    choose(form.widgets["recipe"], "gan")  # the user chooses the recipe
    assert window.editor.doc.training["recipe"] == "gan"
    assert all(_shown(form, p) for p in GAN_ROWS) and not any(_shown(form, p) for p in SUPERVISED_ROWS)
    assert not form.headers["Loss"].isVisibleTo(form) and _shown(form, "epochs") and _shown(form, "seed")
    assert dock.gan_view.isVisibleTo(dock) and dock.data.label.text() == "Real data"
    # a CNN has no Output node 'generator': said under the section, naming the field
    assert "training.gan.generator: there is no Output node 'generator'" in form.gan_problem.text()
    assert form.gan_problem.isVisibleTo(form)
    window.editor.undo_stack.undo()
    assert "recipe" not in window.editor.doc.training
    assert _shown(form, "loss.name") and not form.gan_problem.isVisibleTo(form)
    assert not dock.gan_view.isVisibleTo(dock) and dock.plots.isVisibleTo(dock)


def test_every_gan_setting_edits_through_its_widget_and_undoes(make_window, qtbot, tmp_path):
    window, hook = _panel(make_window, qtbot, tmp_path)
    form, editor = hook.dock.settings, window.editor
    before = dict(editor.doc.training)
    w = form.widgets
    type_into(w["gan.latent_size"], "32")
    choose(w["gan.noise"], "uniform")
    type_into(w["gan.d_steps"], "2")
    type_into(w["gan.label_smoothing"], "0.1")
    type_into(w["gan.generator_optimizer.lr"], "3e-4")
    type_into(w["gan.generator_optimizer.betas"].spins[0], "0.6")
    type_into(w["gan.discriminator_optimizer.lr"], "1e-4")
    type_into(w["gan.discriminator_optimizer.betas"].spins[1], "0.99")
    type_into(w["gan.samples"], "16")
    gan = editor.doc.training["gan"]
    assert gan == {"latent_size": 32, "noise": "uniform", "d_steps": 2, "label_smoothing": 0.1,
                   "generator_optimizer": {"lr": 3e-4, "betas": [0.6, 0.999]},
                   "discriminator_optimizer": {"lr": 1e-4, "betas": [0.5, 0.99]}, "samples": 16}
    for _ in range(9):  # one undo step per edit
        editor.undo_stack.undo()
    assert editor.doc.training == before
    assert w["gan.noise"].currentText() == "normal" and w["gan.generator_optimizer.betas"].value() == [0.5, 0.999]
    assert w["gan.latent_size"].value() == 0 and w["gan.latent_size"].text() == "the Input's size"


def test_the_roles_offer_the_networks_and_a_wrong_one_is_named(make_window, qtbot, tmp_path):
    doc = load_graph(EXAMPLE)
    doc.training = {**doc.training, "gan": {"generator": "gen"}}  # a file naming a network that is not there
    window, hook = _panel(make_window, qtbot, tmp_path, doc)
    form, editor = hook.dock.settings, window.editor
    role = form.widgets["gan.generator"]
    assert [role.itemText(i) for i in range(role.count())] == ["generator", "discriminator", "gen"]
    assert "training.gan.generator: there is no Output node 'gen' to be the generator" in form.gan_problem.text()
    assert "there is no Output node 'gen'" in role.toolTip()
    choose(role, "generator")  # the user picks the real one: the problem goes
    assert "generator" not in editor.doc.training.get("gan", {}) and not form.gan_problem.isVisibleTo(form)
    assert [role.itemText(i) for i in range(role.count())] == ["generator", "discriminator"]
    editor.rename_node("discriminator", "critic")  # renaming a network keeps its role
    assert form.widgets["gan.discriminator"].currentText() == "critic" and not form.gan_problem.isVisibleTo(form)
    editor.undo_stack.undo()
    assert form.widgets["gan.discriminator"].currentText() == "discriminator"
    choose(form.widgets["gan.discriminator"], "generator")  # both roles one network: refused, file unchanged
    assert "training.gan.discriminator" in hook.dock.summary.text()
    assert "discriminator" not in editor.doc.training.get("gan", {})


def test_a_latent_size_the_generator_does_not_take_is_refused_naming_the_field(make_window, qtbot, tmp_path):
    window, hook = _panel(make_window, qtbot, tmp_path)
    form, dock = hook.dock.settings, hook.dock
    before = dict(window.editor.doc.training)
    type_into(form.widgets["gan.latent_size"], "100")
    assert window.editor.doc.training == before
    assert ("training.gan.latent_size is 100 but the generator's Input 'z' takes 32 values"
            in dock.summary.text())
    assert "latent_size is 100" in form.widgets["gan.latent_size"].toolTip()
    # the Input changed afterwards: the form says so at once, under the section
    type_into(form.widgets["gan.latent_size"], "32")
    assert window.editor.doc.training["gan"]["latent_size"] == 32
    window.editor.set_param("z", "shape", [16])
    assert "latent_size is 32 but the generator's Input 'z' takes 16" in form.gan_problem.text()
    window.editor.undo_stack.undo()
    assert not form.gan_problem.isVisibleTo(form)


def test_settings_chosen_in_the_form_are_the_ones_the_run_trains_with(make_window, qtbot, tmp_path):
    window, hook = _panel(make_window, qtbot, tmp_path)
    dock, form = hook.dock, hook.dock.settings
    type_into(form.widgets["epochs"], "2")
    choose(form.widgets["gan.noise"], "uniform")
    type_into(form.widgets["gan.d_steps"], "2")
    type_into(form.widgets["gan.discriminator_optimizer.lr"], "1e-4")
    type_into(form.widgets["gan.generator_optimizer.betas"].spins[0], "0.4")
    type_into(form.widgets["gan.samples"], "16")
    with qtbot.waitSignal(hook.controller.ended, timeout=120_000):
        click(qtbot, dock.train_button)
    assert hook.controller.error is None, hook.controller.error
    gan = json.loads((Path(hook.controller.run_dir) / "config.json").read_text())["training"]["gan"]
    assert gan["noise"] == "uniform" and gan["d_steps"] == 2 and gan["samples"] == 16
    assert gan["discriminator_optimizer"]["lr"] == 1e-4 and gan["generator_optimizer"]["betas"] == [0.4, 0.999]
    assert dock.gan_view.grid_epoch == 2 and dock.gan_view.grid.shape[0] < 73  # 16 samples: a 4×4 grid
    shots = os.environ.get("NETBUILDER_SHOTS")
    if shots:
        dock.grab().save(str(Path(shots) / "gan-settings.png"))
