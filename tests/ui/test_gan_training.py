"""Journey 11: open the GAN example, press Train, watch samples and both players' curves.

Driven through the real widgets: the file is opened as a user opens it, the epochs are
typed into the settings form, Train is clicked, and the run goes to the worker process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from journey_helpers import click, type_into

from netbuilder.ui.training import install_training
from netbuilder.ui.training.controller import RUNNING

pytestmark = pytest.mark.timeout(300)
RUN_TIMEOUT_MS = 120_000
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gan_digits.json"


@pytest.fixture
def gan_window(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_path(str(EXAMPLE))
    hook = install_training(window, runs_dir=tmp_path / "runs")
    hook.show_panel()
    qtbot.waitExposed(hook.dock)
    return window, hook


def test_train_the_gan_example_from_the_panel(gan_window, qtbot, tmp_path):
    window, hook = gan_window
    dock, controller = hook.dock, hook.controller
    window.resize(1400, 900)
    assert dock.gan_view.isVisible() and not dock.plots.isVisible()  # a GAN file opens on the GAN view
    form = dock.settings
    assert form.widgets["recipe"].currentText() == "gan" and form.widgets["gan.noise"].isVisible()
    type_into(form.widgets["epochs"], "6")
    assert window.editor.doc.training["epochs"] == 6
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.train_button)
        assert controller.state == RUNNING
    assert controller.error is None, controller.error
    view = dock.gan_view
    view.flush()
    assert view.point_count("d_loss") == 6 and view.point_count("d_fake") == 6
    assert view.point_count("d_batch") >= 6 and view.point_count("real_batch") >= 6
    assert view.grid is not None and view.grid_epoch == 6 and view.grid.shape == (73, 73)
    assert not view.samples.pixmap().isNull() and "fixed noise" in view.caption.text()
    assert "D(G(z))" in dock.summary.text() and "Finished" in dock.progress.text()
    run = Path(controller.run_dir)
    assert (run / "last.pt").is_file() and (run / "samples.png").is_file()
    assert [r.path for r in dock.runs.runs] == [run]
    dock.grab().save(str(tmp_path / "gan-dock.png"))
    if Path("/tmp").is_dir():
        dock.grab().save("/tmp/gan-dock.png")


def test_a_latent_size_that_does_not_fit_is_refused_before_training(gan_window, qtbot):
    window, hook = gan_window
    dock = hook.dock
    window.editor.set_training({**window.editor.doc.training, "gan": {"latent_size": 100}})
    click(qtbot, dock.train_button)
    assert "latent_size is 100 but the generator's Input 'z' takes 32" in dock.summary.text()
    assert not hook.controller.running


def test_gan_warnings_show_in_the_view(gan_window, qtbot):
    import numpy as np

    from netbuilder.train.gan_events import GanSamples, GanWarning

    dock = gan_window[1].dock
    dock.handle_events([GanSamples(1, np.zeros((10, 10), np.uint8), 0.02),
                        GanWarning(1, "mode_collapse", "the generator has collapsed: …")])
    assert dock.gan_view.warning.isVisible() and "collapsed" in dock.gan_view.warning.text()
