"""The Training panel's parts on their own: buffers, plots, worker, settings,
data import, results, run list and export. Real widgets, no main window."""

from __future__ import annotations

import importlib.util
import sys
import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.train.config import TrainingConfig
from netbuilder.train.events import BatchEnd
from netbuilder.ui.editor import Editor
from netbuilder.ui.training import preflight
from netbuilder.ui.training.buffers import EmaTracker, PeakLevels, SeriesBuffer, ema
from netbuilder.ui.training.controller import TrainingController
from netbuilder.ui.training.data_wizard import ImportDataDialog
from netbuilder.ui.training.dock import TrainDock
from netbuilder.ui.training.plots import LivePlots
from netbuilder.ui.training.progress import Progress, duration_text
from netbuilder.ui.training.results import ConfusionMatrixView, MistakesGallery, SampleView
from netbuilder.ui.training.worker import EventPump, WorkerCrashed

pytestmark = pytest.mark.timeout(120)


def mlp(inputs: int = 4, classes: int = 3, name: str = "iris_mlp") -> GraphDocument:
    doc = GraphDocument(name)
    prev = None
    for i, (layer_type, params) in enumerate([("Input", {"shape": [inputs]}), ("Linear", {"out_features": 16}),
                                              ("ReLU", {}), ("Linear", {"out_features": classes})]):
        node_id = doc.add_node(layer_type, params, (220.0 * i, 0.0))
        if prev:
            doc.connect(Edge(prev, node_id))
        prev = node_id
    doc.training = {"version": 1, "data": {"source": "iris"}, "epochs": 2, "batch_size": 16}
    return doc


@pytest.fixture
def dock(qtbot, tmp_path):
    """A Training panel on a bare editor (no window), runs under ``tmp_path``."""

    def make(doc: GraphDocument | None = None):
        editor = Editor(doc or mlp())
        controller = TrainingController(editor, runs_dir=tmp_path / "runs")
        panel = TrainDock(editor, controller)
        qtbot.addWidget(panel)
        panel.resize(1200, 420)
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    return make


# -- buffers and smoothing --------------------------------------------------------------
def test_series_buffer_doubles_when_full_and_keeps_every_point():
    buffer = SeriesBuffer(capacity=4)
    for i in range(10):
        buffer.append(i, i * i)
    assert buffer.capacity == 16 and len(buffer) == 10
    buffer.extend(np.arange(10, 40), np.arange(10, 40) ** 2)
    x, y = buffer.view()
    assert buffer.capacity == 64
    assert np.array_equal(x, np.arange(40)) and np.array_equal(y, np.arange(40) ** 2)
    assert buffer.last() == (39.0, 1521.0)


def test_a_derived_series_shares_its_sources_x_through_growth():
    source = SeriesBuffer(capacity=2)
    derived = SeriesBuffer(capacity=2, x_of=source)
    for i in range(5):
        source.append(i / 10, i)
        derived.append(i / 10, -i)
    source.extend([0.5, 0.6], [5, 6])
    derived.extend(source.view()[0][5:], [-5, -6])
    x, y = derived.view()
    assert np.array_equal(x, source.view()[0]) and y.tolist() == [0, -1, -2, -3, -4, -5, -6]
    assert derived.last() == (0.6, -6.0)


def test_vectorised_smoothing_matches_the_incremental_one_and_skips_nan():
    values = np.array([1.0, 2.0, np.nan, 4.0, 3.0, np.inf, 2.0])
    tracker = EmaTracker(0.6)
    incremental = [tracker.push(v) for v in values]
    assert np.allclose(ema(values, 0.6), incremental)
    assert np.isfinite(ema(values, 0.6)).all()
    assert np.array_equal(ema(values[:2], 0.0), values[:2])


@pytest.mark.parametrize("weight", [0.0, 0.01, 0.6, 0.99])
def test_smoothing_a_long_series_matches_the_incremental_one_in_place_too(weight):
    rng = np.random.default_rng(0)
    values = rng.lognormal(0.0, 1.0, 30_011)  # many blocks of the vectorised sum, and a ragged last one
    values[rng.random(len(values)) < 0.001] = np.nan
    tracker = EmaTracker(weight)
    incremental = np.array([tracker.push(v) for v in values])
    known = np.isfinite(incremental)
    assert np.allclose(ema(values, weight)[known], incremental[known], rtol=1e-9)
    clean = np.nan_to_num(values, nan=1.0)
    tracker.reset()
    in_place = clean.copy()
    assert ema(in_place, weight, out=in_place) is in_place
    assert np.allclose(in_place, [tracker.push(v) for v in clean], rtol=1e-9)


def brute_peaks(x, y, start, stop, columns):
    """Peak downsampling done the slow, obvious way: what PeakLevels must match."""
    start, stop = max(0, start), min(len(y), stop)
    if stop - start <= 2 * columns:
        return x[start:stop], y[start:stop]
    size = 2 ** max(1, int(np.ceil(np.log2((stop - start) / columns))))
    xs, ys = [], []
    for b in range(start // size, -(-stop // size)):
        xs += [x[b * size]] * 2
        ys += [np.nanmax(y[b * size:(b + 1) * size]), np.nanmin(y[b * size:(b + 1) * size])]
    return np.array(xs), np.array(ys)


def test_peak_levels_keep_every_bins_extremes_as_points_arrive():
    rng = np.random.default_rng(3)
    levels, y = PeakLevels(), np.empty(0)
    for step in range(30):
        y = np.concatenate([y, rng.normal(size=int(rng.integers(1, 5000)))])
        if step == 5:
            y[7] = np.nan  # skipped, like a gap in the curve
        x = np.arange(len(y), dtype=np.float64)
        for _ in range(5):
            start = int(rng.integers(-5, len(y)))
            stop, columns = int(rng.integers(start, len(y) + 5)), int(rng.integers(1, 400))
            got, want = levels.peaks(x, y, start, stop, columns), brute_peaks(x, y, start, stop, columns)
            assert np.array_equal(got[0], want[0]) and np.allclose(got[1], want[1], equal_nan=True)


# -- plots --------------------------------------------------------------------------------
def test_a_million_point_curve_is_drawn_from_two_points_per_column_and_keeps_its_spikes(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.resize(900, 600)
    plots.show()
    qtbot.waitExposed(plots)
    n = 1_000_000
    x = np.arange(n) / 100
    loss = np.full(n, 1.0)
    loss[123_457] = 50.0  # one bad batch
    loss[876_543] = 0.01
    plots.reset("accuracy", epochs=int(x[-1]) + 1)
    plots.add_batches(x, loss, np.full(n, 1e-3))
    plots.flush()
    xs, ys = plots.batch.item.getData()
    assert len(xs) <= 4 * plots.loss_plot.vb.width() + 4
    assert ys.max() == 50.0 and ys.min() == 0.01
    plots.loss_plot.setXRange(1234.0, 1235.0, padding=0)  # zoomed in on the spike: every point, drawn as it is
    xs, ys = plots.batch.item.getData()
    assert len(xs) == 103 and 50.0 in ys and xs[0] < 1234.0 < 1235.0 < xs[-1]
    plots.add_batch(x[-1] + 0.01, 99.0, 1e-3)
    plots.fit()
    plots.flush()
    assert plots.batch.item.getData()[1].max() == 99.0  # the newest point, in a bin still filling


def test_restored_learning_rates_keep_only_the_points_where_the_rate_moved(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    lrs = np.array([1e-3, 1e-3, 1.0005e-3, 0.0, 0.0, 1e-4, 2e-4, 2e-4])
    plots.add_batches(np.arange(8.0), np.ones(8), lrs)
    assert plots.lr.buffer.view()[0].tolist() == [0, 3, 5, 6, 7]


def test_plots_draw_what_arrives_with_hover_read_out_and_log_scale(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.reset("accuracy", epochs=2)
    for step in range(1, 21):
        plots.add_batch((step - 1) / 10 + 0.1, 2.0 / step, 1e-3)
    plots.add_epoch(1, train_loss=0.9, val_loss=1.0, val_metric=0.7)
    plots.add_epoch(2, train_loss=0.5, val_loss=0.6, val_metric=0.8)
    plots.flush()
    x, y = plots.batch.item.getData()
    assert len(x) == 20 and y[0] == pytest.approx(2.0)
    assert len(plots.smooth.item.getData()[0]) == 20
    assert plots.val_metric.item.getData()[1].tolist() == [0.7, 0.8]
    text = plots.readout_text(1.0)
    assert "epoch 1.00" in text and "val loss 1" in text and "val accuracy 0.7" in text
    plots.show_readout(1.0)
    assert plots.readout.text() == text
    plots.log_scale.setChecked(True)
    assert plots.loss_plot.ctrl.logYCheck.isChecked() or plots.loss_plot.getAxis("left").logMode
    plots.smoothing.setValue(0)
    assert np.allclose(plots.smooth.buffer.view()[1], plots.batch.buffer.view()[1])


def test_plot_ranges_cover_the_run_and_do_not_move_for_every_point(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.reset("accuracy", epochs=10)
    changes = []
    plots.loss_plot.vb.sigYRangeChanged.connect(lambda *_: changes.append(1))
    rng = np.random.default_rng(0)
    for i in range(1, 501):  # 500 noisy batches of a loss falling from 2.3 to 0.3
        plots.add_batch(i / 50, (0.3 + 2.0 * np.exp(-i / 100)) * rng.lognormal(0, 0.2), 1e-3)
        if i % 5 == 0:
            plots.flush()  # the timer's ticks
    (x0, x1), (y0, y1) = plots.loss_plot.viewRange()
    assert x0 <= 0 and x1 >= 10  # the whole run from the start
    assert len(changes) <= 12, f"the y range moved {len(changes)} times in 100 updates"
    smooth = plots.smooth.buffer.view()[1]
    assert y0 <= smooth.min() and y1 >= smooth.max()
    settled = plots.loss_plot.viewRange()[1]
    for i in range(501, 601):  # the same band again: nothing to move for
        plots.add_batch(i / 50, 0.35, 1e-3)
        plots.flush()
    assert plots.loss_plot.viewRange()[1] == settled
    plots.add_epoch(3, train_loss=5.0)  # an epoch value outside the range
    plots.flush()
    assert plots.loss_plot.viewRange()[1][1] >= 5.0


def test_overlays_draw_other_runs_and_go_away(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    rows = [{"epoch": 1, "val_loss": 1.0, "accuracy": 0.5}, {"epoch": 2, "val_loss": 0.5, "accuracy": 0.8}]
    plots.set_overlays([("run-a", rows), ("run-b", rows[:1])])
    assert len(plots._overlays) == 4
    assert {item.name() for _, item in plots._overlays} == {"run-a", "run-b"}
    plots.set_overlays([])
    assert plots._overlays == []
    assert all(item.scene() is None for item in plots.loss_plot.listDataItems() if item.name() == "run-a")


# -- the worker ----------------------------------------------------------------------------------
def test_the_pump_delivers_every_event_in_order_in_few_batches(qtbot):
    def events():
        for i in range(20_000):
            yield i
            if i % 2000 == 0:
                time.sleep(0.01)

    pump = EventPump(events)
    received = []
    pump.events.connect(received.extend)
    started = time.monotonic()
    with qtbot.waitSignal(pump.finished, timeout=20_000):
        pump.start()
    elapsed = time.monotonic() - started
    assert received == list(range(20_000))
    assert pump.deliveries <= elapsed * 35 + 2  # ~30 a second at most, however fast events come


def test_a_crashing_generator_becomes_an_event_not_a_dead_thread(qtbot):
    def events():
        yield "first"
        raise RuntimeError("boom")

    pump = EventPump(events)
    received = []
    pump.events.connect(received.extend)
    with qtbot.waitSignal(pump.finished, timeout=5_000):
        pump.start()
    assert received[0] == "first"
    assert isinstance(received[1], WorkerCrashed) and "boom" in received[1].message
    assert not pump.running


def test_progress_text_has_epoch_step_speed_and_time_left():
    progress = Progress(epochs=10, steps=50, started_at=time.monotonic() - 10.0)
    progress.update(BatchEnd(epoch=2, step=25, steps=50, global_step=75, loss=0.5, lr=1e-3, samples_per_s=1234.0))
    text = progress.text()
    assert text.startswith("Epoch 2/10 · step 25/50 · 1,234 samples/s")
    assert "left" in text and progress.fraction == pytest.approx(0.15)
    assert progress.eta(now=progress.started_at + 10.0) == pytest.approx(10.0 / 75 * 425)
    assert duration_text(3725) == "1:02:05" and duration_text(65) == "1:05"
    assert progress.text(paused=True).startswith("Paused · Epoch 2/10")


# -- preflight ------------------------------------------------------------------------------------
def test_preflight_names_what_to_fix():
    doc = mlp(classes=5)
    editor = Editor(doc)
    problems = preflight.check(doc, editor.report, doc.training)
    assert len(problems) == 1 and "5" in problems[0][0] and "3 classes" in problems[0][0]
    assert problems[0][1] == "linear_2"  # the node to point at
    doc2 = mlp()
    doc2.training = {}
    assert "Choose a data set" in preflight.check(doc2, Editor(doc2).report, doc2.training)[0][0]
    assert preflight.check(GraphDocument(), Editor(GraphDocument()).report, {})[0][0].startswith("The graph is empty")
    bad = mlp()
    bad.training = {"epochs": 0, "data": {"source": "iris"}}
    assert "training.epochs" in preflight.check(bad, Editor(bad).report, bad.training)[0][0]


# -- settings and data set --------------------------------------------------------------------------
def test_settings_are_stored_in_the_graph_validated_and_undoable(dock):
    panel = dock()
    editor, form = panel.editor, panel.settings
    lr = form.widgets["optimizer.lr"]
    lr.setText("3e-4")
    lr.editingFinished.emit()
    assert editor.doc.training["optimizer"]["lr"] == pytest.approx(3e-4)
    errors = []
    form.error.connect(errors.append)
    lr.setText("fast")
    lr.editingFinished.emit()
    assert errors and "not a number" in errors[0]
    assert editor.doc.training["optimizer"]["lr"] == pytest.approx(3e-4)
    lr.setText("-1")
    lr.editingFinished.emit()
    assert "training.optimizer.lr" in errors[-1]
    step_size = form.rows["scheduler.step_size"][1]
    assert step_size.isHidden()
    combo = form.widgets["scheduler.name"]
    combo.setCurrentText("step")
    combo.activated.emit(combo.currentIndex())
    assert editor.doc.training["scheduler"]["name"] == "step" and not step_size.isHidden()
    editor.undo_stack.undo()
    assert combo.currentText() == "none" and step_size.isHidden()
    assert TrainingConfig.from_dict(editor.doc.training).optimizer.lr == pytest.approx(3e-4)
    form.set_running(True)
    assert lr.isEnabled() and not form.widgets["batch_size"].isEnabled()


def test_the_data_list_shows_shapes_and_stores_the_choice(dock):
    panel = dock()
    combo = panel.data_combo
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert "digits  (1, 8, 8) · 10 classes" in texts and "sine  (1,) · regression" in texts
    assert combo.currentData() == "iris"
    index = combo.findData("wine")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    assert panel.editor.doc.training["data"]["source"] == "wine"
    panel.editor.undo_stack.undo()
    assert combo.currentData() == "iris"


# -- importing data ---------------------------------------------------------------------------------
def test_csv_import_previews_rows_picks_the_target_and_names_a_bad_line(qtbot, tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text("a,b,c,kind\n1,2,3,x\n4,5,6,y\n7,8,9,x\n", encoding="utf-8")
    dialog = ImportDataDialog()
    qtbot.addWidget(dialog)
    dialog.set_path(str(path))
    assert dialog.kind == "csv" and dialog.csv_table.rowCount() == 3
    assert dialog.target_combo.currentText() == "kind"
    ds = dialog.check()
    assert ds is not None and ds.input_shape == (3,) and ds.class_names == ["x", "y"]
    assert dialog.options() == {"target": "kind"}
    dialog.target_combo.setCurrentText("c")
    dialog.csv_task.setCurrentIndex(dialog.csv_task.findData("regression"))
    assert dialog.options() == {"target": "c", "task": "regression"}
    path.write_text("a,b,c,kind\n1,2,3,x\n4,oops,6,y\n", encoding="utf-8")
    dialog.set_path(str(path))
    assert dialog.check() is None
    assert "line 3" in dialog.status.text() and "b" in dialog.status.text()
    dialog.accept()  # refused: the dialog stays open with the message
    assert dialog.result() != ImportDataDialog.DialogCode.Accepted


def test_image_folder_import_previews_classes_and_loads_at_the_chosen_size(qtbot, tmp_path):
    from PIL import Image

    for label, shade in (("cats", 40), ("dogs", 200)):
        folder = tmp_path / "pets" / label
        folder.mkdir(parents=True)
        for i in range(3):
            Image.new("L", (20, 16), shade + i).save(folder / f"{i}.png")
    dialog = ImportDataDialog()
    qtbot.addWidget(dialog)
    dialog.set_path(str(tmp_path / "pets"))
    assert dialog.kind == "images" and dialog.image_list.count() == 6
    assert "cats (3)" in dialog.status.text()
    dialog.img_height.setValue(12)
    dialog.img_width.setValue(10)
    ds = dialog.check()
    assert ds.input_shape == (1, 12, 10) and ds.class_names == ["cats", "dogs"]
    assert dialog.options() == {"image_size": [12, 10]}


def test_npz_import_and_a_shape_mismatch_refuses_train(dock, qtbot, tmp_path):
    path = tmp_path / "points.npz"
    np.savez(path, x=np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32),
             y=np.arange(40) % 2)
    dialog = ImportDataDialog()
    qtbot.addWidget(dialog)
    dialog.set_path(str(path))
    assert dialog.kind == "npz" and "x: shape (40, 3)" in dialog.npz_info.text()
    ds = dialog.check()
    panel = dock(mlp(inputs=4, classes=2))
    panel.use_imported(str(path), dialog.options(), ds)
    assert panel.editor.doc.training["data"]["source"] == str(path)
    assert panel.data_combo.currentText().startswith("points.npz")
    assert not panel.train()
    assert "Input 'input' is (4,) but points gives (3,)" in panel.summary.text()


# -- results -----------------------------------------------------------------------------------------
def test_confusion_matrix_paints_counts_and_accuracy(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.resize(300, 300)
    view.set_matrix([[8, 2], [1, 9]], ["cat", "dog"])
    assert view.accuracy == pytest.approx(0.85)
    assert view.cell_text(0, 1) == "2"
    image = view.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, 300, 5) for y in range(0, 300, 5)}
    assert len(colours) > 5
    view.clear()
    assert view.matrix.size == 0


def test_gallery_shows_worst_mistakes_first_as_pictures(qtbot):
    gallery = MistakesGallery()
    qtbot.addWidget(gallery)
    image = np.zeros((1, 8, 8), np.float32)
    image[0, 2:6, 3] = 1.0
    samples = [SampleView(0, image, 1, 7, 0.6), SampleView(1, image, 3, 8, 0.95), SampleView(2, image, 4, 4, 0.99)]
    gallery.set_samples(samples, [str(i) for i in range(10)], image=True, total=50, wrong=7)
    items = [gallery.list.item(i) for i in range(gallery.list.count())]
    assert [it.data(Qt.ItemDataRole.UserRole) for it in items] == [1, 0, 2]
    assert items[0].text().startswith("✗ 8 (95%)") and "true 3" in items[0].text()
    assert not items[0].icon().isNull()
    assert gallery.summary.text() == "7 of 50 validation samples wrong; the 2 most confident first"
    gallery.set_samples([SampleView(5, np.array([0.5, 1.5]), 0, 1, 0.7)], ["a", "b"], image=False)
    assert "[0.5, 1.5]" in gallery.list.item(0).text()


# -- a real short run: runs list, weights, export ---------------------------------------------------------
def test_a_run_is_listed_its_weights_load_and_export_as_a_runnable_module(dock, qtbot, tmp_path, monkeypatch):
    panel = dock()
    with qtbot.waitSignal(panel.controller.ended, timeout=60_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert panel.controller.error is None
    assert panel.confusion.matrix.shape == (3, 3)
    assert panel.gallery.list.count() >= 0 and "validation samples" in panel.gallery.summary.text()
    panel.left.setCurrentWidget(panel.runs)
    run = panel.runs.runs[0]
    assert run.data == "iris" and run.settings.startswith("adam lr 0.001") and len(run.history) == 2
    panel.runs.select_paths([run.path])
    panel.runs.tree.setCurrentItem(panel.runs.tree.topLevelItem(0))
    assert panel.load_weights(run)
    assert "Loaded the kept weights" in panel.summary.text()
    panel.editor.set_param("linear_1", "out_features", 8)
    assert not panel.load_weights(run)
    assert "do not fit" in panel.summary.text()
    out = tmp_path / "export"
    monkeypatch.setattr("netbuilder.ui.training.dock.ask_export_folder", lambda parent: str(out))
    qtbot.mouseClick(panel.runs.buttons["export"], Qt.MouseButton.LeftButton)
    written = sorted(p.name for p in out.iterdir())
    assert written == ["iris_mlp.pt", "iris_mlp.py", "train.py"]
    compile((out / "train.py").read_text(), "train.py", "exec")  # the engine's exporter wrote it
    spec = importlib.util.spec_from_file_location("exported_iris_mlp", out / "iris_mlp.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["exported_iris_mlp"] = module
    try:
        spec.loader.exec_module(module)
        classes = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, torch.nn.Module)
                   and v is not torch.nn.Module]
        model = classes[0]()
        model.load_state_dict(torch.load(out / "iris_mlp.pt", weights_only=True))
        assert model(torch.zeros(2, 4)).shape == (2, 3)
    finally:
        sys.modules.pop("exported_iris_mlp", None)
    assert "Exported" in panel.summary.text()


def test_plots_follow_a_theme_switch_without_a_restart(qtbot):
    from PySide6.QtWidgets import QApplication

    from netbuilder.ui import theme

    plots = LivePlots()
    qtbot.addWidget(plots)
    before = theme.current()
    try:
        for chosen in (theme.LIGHT, theme.DARK):
            theme.apply_theme(QApplication.instance(), chosen)
            QApplication.processEvents()
            base = plots.palette().color(plots.palette().ColorRole.Base)
            assert plots.view.backgroundBrush().color() == base
            assert plots.loss_plot.getAxis("left").pen().color() == plots.palette().color(
                plots.palette().ColorRole.Text)
    finally:
        theme.apply_theme(QApplication.instance(), before)
