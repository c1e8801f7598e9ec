"""Training runs in a worker process: a warm one, one that dies, one that will not stop,
and a window closed mid-run. Driven through the real panel and main window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from test_training_support import small_cnn, with_training

from netbuilder.train.checkpoints import resume_file
from netbuilder.train.events import EpochEnd
from netbuilder.ui.training import controller as controller_module
from netbuilder.ui.training import install_training

pytestmark = pytest.mark.timeout(300)
RUN_TIMEOUT_MS = 120_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def panel(make_window, qtbot, tmp_path):
    def make(**settings):
        window = make_window()
        window.set_document(with_training(small_cnn(), **settings), None)
        hook = install_training(window, runs_dir=tmp_path / "runs")
        hook.show_panel()
        qtbot.waitExposed(hook.dock)
        return window, hook

    return make


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").is_file() or Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_warm_worker_trains_the_run_and_never_spins(panel, qtbot):
    window, hook = panel(epochs=1, batch_size=64)
    controller = hook.controller
    controller.warm_up()
    spare = controller.spare
    assert spare is not None and spare.alive()
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, hook.dock.train_button)
        assert controller.trainer is spare  # Train used the worker that was already waiting
    assert controller.error is None and controller.result is not None
    ready = spare.ready
    assert ready is not None and ready.pid == spare.pid != os.getpid()
    assert not ready.torch_preloaded and ready.threads >= 1  # the CLI's policy: tests/train/test_worker_threads.py
    qtbot.waitUntil(lambda: controller.spare is not None, timeout=10_000)  # the next one waits already
    assert controller.spare is not spare


def test_killing_the_worker_mid_run_is_reported_and_the_app_stays_usable(panel, qtbot):
    window, hook = panel(epochs=500, batch_size=32)
    dock, controller = hook.dock, hook.controller
    finished = []
    controller.events.connect(lambda batch: finished.extend(e.epoch for e in batch if isinstance(e, EpochEnd)))
    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: controller.saved_epoch >= 2, timeout=RUN_TIMEOUT_MS)
    run_dir = Path(controller.run_dir)
    pid = controller.trainer.pid
    with qtbot.waitSignal(controller.ended, timeout=30_000):
        os.kill(pid, signal.SIGKILL)
    message = controller.error[0]
    assert "killed by SIGKILL" in message and f"(epoch {controller.saved_epoch}) is in {run_dir}" in message
    assert "press Resume" in message
    assert "Training failed" in dock.summary.text()
    assert not controller.running and not window.view.locked and dock.train_button.isEnabled()
    assert torch.load(resume_file(run_dir), weights_only=False)["epoch"] >= max(finished)  # no finished epoch lost
    assert [run.path for run in dock.runs.selected_runs()] == [run_dir]  # offered for Resume
    assert dock.runs.buttons["resume"].isEnabled()
    window.editor.set_training({**window.editor.doc.training, "epochs": 1})
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):  # and it trains again
        click(qtbot, dock.train_button)
    assert controller.error is None and controller.result is not None


def test_stop_ends_a_run_stuck_inside_a_layer(panel, qtbot, monkeypatch):
    monkeypatch.setattr(controller_module, "STOP_GRACE_MS", 500)
    window, hook = panel(epochs=5)
    controller = hook.controller
    controller.trainer_factory = "training_fakes:stuck_in_a_layer"
    click(qtbot, hook.dock.train_button)
    qtbot.waitUntil(lambda: controller.started_info is not None, timeout=RUN_TIMEOUT_MS)
    pid = controller.trainer.pid
    with qtbot.waitSignal(controller.ended, timeout=20_000):
        click(qtbot, hook.dock.stop_button)
    assert "ended because it did not stop" in controller.error[0]
    qtbot.waitUntil(lambda: not alive(pid), timeout=5_000)


CLOSE_MID_RUN = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from netbuilder.ui import app
    from netbuilder.ui.training import install_training

    qapp = app.create_application()
    window = app.open_main_window(sys.argv[1], autosave_dir=Path(sys.argv[2]))
    hook = install_training(window, runs_dir=sys.argv[3])
    window.editor.doc.training["epochs"] = 500
    window._ask_save_changes = lambda: "discard"
    controller = hook.controller

    def close_when_training(batch):
        if controller.started_info is not None and not getattr(window, "closing", False):
            window.closing = True
            print("WORKER", controller.trainer.pid, flush=True)
            print("CLOSING", time.monotonic(), flush=True)
            QTimer.singleShot(0, window.close)

    controller.events.connect(close_when_training)
    QTimer.singleShot(0, controller.warm_up)
    QTimer.singleShot(0, hook.train)
    code = qapp.exec()
    print("EXITED", time.monotonic(), flush=True)
    sys.exit(code)
""")


def test_closing_the_window_mid_run_exits_within_5_s_leaving_no_worker(tmp_path):
    graph = tmp_path / "digits.json"
    from netbuilder.core.fileformat import save_graph

    save_graph(with_training(small_cnn(), epochs=500, batch_size=32), graph)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", CLOSE_MID_RUN, str(graph), str(tmp_path / "autosave"),
                           str(tmp_path / "runs")], capture_output=True, text=True, timeout=180, env=env,
                          cwd=tmp_path)
    finished = time.monotonic()
    out = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert done.returncode == 0, done.stderr
    assert "QThread" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert float(out["EXITED"]) - float(out["CLOSING"]) < 5.0
    assert finished - float(out["CLOSING"]) < 10.0  # the interpreter's own exit included
    worker = int(out["WORKER"])
    deadline = time.monotonic() + 5
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker), "the training worker outlived the app"
    runs = list((tmp_path / "runs").rglob("last.pt"))
    assert runs or list((tmp_path / "runs").rglob("config.json"))  # the run's folder is there


def test_runs_of_a_bundled_example_go_to_the_user_data_folder_and_the_panel_says_where(make_window, tmp_path,
                                                                                          monkeypatch):
    from PySide6.QtCore import QStandardPaths

    from netbuilder.ui import files

    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda location: str(tmp_path / "data"))
    window = make_window()
    assert window.open_path(str(files.DEFAULT_EXAMPLE))  # opened from the installed examples folder
    hook = window.training
    assert hook.controller.runs_dir == tmp_path / "data" / "runs"
    hook.show_panel()
    assert str(tmp_path / "data" / "runs") in hook.dock.runs.where.text()
    own = tmp_path / "mine" / "graph.json"
    own.parent.mkdir()
    own.write_text(files.DEFAULT_EXAMPLE.read_text())
    assert window.open_path(str(own))
    assert hook.controller.runs_dir == own.parent / "runs"
    hook.dock.refresh_runs()
    assert str(own.parent / "runs") in hook.dock.runs.where.text()


def test_export_python_after_training_saves_the_trained_weights_the_module_loads(panel, qtbot, tmp_path,
                                                                                   monkeypatch):
    from netbuilder.ui import files

    window, hook = panel(epochs=1, batch_size=64)
    window.action_set["export"].trigger()
    dialog = window._export_dialog
    assert not dialog.with_weights.isEnabled()  # nothing trained yet
    dialog.close()
    with qtbot.waitSignal(hook.controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, hook.dock.train_button)
    window.action_set["export"].trigger()
    dialog = window._export_dialog
    assert dialog.with_weights.isEnabled() and dialog.with_weights.isChecked()
    module = tmp_path / "digits_small.py"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(module))
    click(qtbot, dialog.save_button)
    assert "digits_small.pt" in dialog.summary.text()
    done = subprocess.run([sys.executable, str(module)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "loaded the trained weights in digits_small.pt" in done.stdout
