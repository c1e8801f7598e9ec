"""Opening, saving, recent files, examples, autosave and crash recovery."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import load_graph, save_graph
from netbuilder.ui import app, files
from netbuilder.ui.autosave import find_recoverable

pytestmark = pytest.mark.timeout(90)
REPO = Path(__file__).resolve().parents[2]


def small_graph(name: str = "small") -> GraphDocument:
    doc = GraphDocument(name)
    doc.add_node("Input", {"shape": [4]}, (0, 0))
    doc.add_node("Linear", {"out_features": 3}, (240, 0))
    doc.connect(Edge("input", "linear_1"))
    return doc


def test_open_then_save_round_trips_the_file(make_window, monkeypatch, tmp_path):
    source = tmp_path / "small.json"
    save_graph(small_graph(), source)
    window = make_window()
    monkeypatch.setattr(files, "ask_open_path", lambda parent: str(source))
    window.action_set["open"].trigger()
    assert window.editor.doc == load_graph(source)
    assert window.windowTitle() == "small.json — netbuilder"
    window.editor.set_param("linear_1", "out_features", 7)
    window.action_set["save"].trigger()  # no dialog: it has a path
    assert load_graph(source).nodes["linear_1"].params["out_features"] == 7
    assert window.windowTitle() == "small.json — netbuilder"
    copy = tmp_path / "copy"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(copy))
    window.action_set["save_as"].trigger()
    assert load_graph(tmp_path / "copy.json") == window.editor.doc
    assert window.path == str(tmp_path / "copy.json")
    assert files.recent_files()[:2] == [str(tmp_path / "copy.json"), str(source)]


def test_opening_a_broken_file_names_the_problem_and_keeps_the_document(make_window, monkeypatch, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "netbuilder.graph", "version": 1, "nodes": [{"id": "a", "type": "Nope"}]}')
    window = make_window()
    window.set_document(small_graph(), None)
    window.editor.add_node("ReLU", (0, 200))
    before = window.editor.doc.copy()
    errors = []
    monkeypatch.setattr(files, "report_error", lambda parent, title, message: errors.append(message))
    monkeypatch.setattr(window, "_ask_save_changes", lambda: "discard")
    monkeypatch.setattr(files, "ask_open_path", lambda parent: str(broken))
    window.action_set["open"].trigger()
    assert len(errors) == 1 and "nodes[0].type" in errors[0] and "'Nope'" in errors[0]
    assert window.editor.doc == before
    assert window.path is None


def test_open_cancelled_by_the_unsaved_changes_question_keeps_everything(make_window, monkeypatch):
    window = make_window()
    window.editor.add_node("ReLU", (0, 0))
    monkeypatch.setattr(window, "_ask_save_changes", lambda: "cancel")
    monkeypatch.setattr(files, "ask_open_path", lambda parent: pytest.fail("should not ask for a file"))
    window.action_set["open"].trigger()
    window.action_set["new"].trigger()
    assert list(window.editor.doc.nodes) == ["relu_1"]


def test_recent_files_menu_keeps_ten_newest(make_window, tmp_path):
    window = make_window()
    for i in range(12):
        path = tmp_path / f"g{i}.json"
        save_graph(small_graph(f"g{i}"), path)
        window.open_path(str(path))
    recent = files.recent_files()
    assert len(recent) == 10 and recent[0].endswith("g11.json")
    menu = window.action_set.menus["recent"]
    menu.aboutToShow.emit()
    labels = [a.text() for a in menu.actions() if a.text()]
    assert labels[0] == "&1  g11.json" and labels[-1] == "Clear Recent Files"
    menu.actions()[3].trigger()  # the fourth newest: g8
    assert window.path.endswith("g8.json")


def test_examples_menu_lists_every_example(make_window, monkeypatch, tmp_path):
    for name in ("alpha", "beta"):
        save_graph(small_graph(name), tmp_path / f"{name}.json")
    monkeypatch.setattr(files, "EXAMPLES_DIR", tmp_path)
    window = make_window()
    menu = window.action_set.menus["examples"]
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions()] == ["alpha", "beta"]
    menu.actions()[1].trigger()
    assert window.editor.doc.name == "beta"
    assert window.path is None  # Save must not overwrite the bundled file
    assert window.windowTitle() == "beta.json — netbuilder"


@pytest.mark.parametrize("example", files.example_files(), ids=lambda p: p.name)
def test_every_bundled_example_opens_without_errors(make_window, example):
    window = make_window()
    assert window.open_example(example)
    assert window.editor.report.ok, window.editor.report.errors
    assert window.status_labels["output"].text() != "output —"


def test_start_opens_the_given_file_or_the_default_example(make_window, monkeypatch, tmp_path):
    graph = tmp_path / "start.json"
    save_graph(small_graph("start"), graph)
    window = make_window.track(app.open_main_window(str(graph), autosave_dir=tmp_path / "autosave"))
    assert window.path == str(graph)
    monkeypatch.setattr(files, "DEFAULT_EXAMPLE", graph)
    window = make_window.track(app.open_main_window(None, autosave_dir=tmp_path / "autosave"))
    assert window.path is None and window.display_name == "start.json"
    assert window.editor.doc.name == "start"


def test_autosave_writes_dirty_work_and_removes_it_on_save(make_window, qtbot, monkeypatch, tmp_path):
    window = make_window(autosave_interval_ms=20)
    saver = window.autosaver
    qtbot.wait(60)
    assert not saver.file.exists()  # nothing unsaved, nothing written
    window.editor.add_node("ReLU", (0, 0), node_id="unsaved")
    qtbot.waitUntil(saver.file.exists)
    data = json.loads(saver.file.read_text())
    assert data["path"] is None and data["graph"]["nodes"][0]["id"] == "unsaved"
    assert find_recoverable(saver.directory) == []  # this live session owns it
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(tmp_path / "saved.json"))
    window.save()
    assert not saver.file.exists()


def test_a_clean_close_leaves_nothing_to_recover(make_window, qtbot):
    window = make_window(autosave_interval_ms=20)
    window.editor.add_node("ReLU", (0, 0))
    qtbot.waitUntil(window.autosaver.file.exists)
    window._ask_save_changes = lambda: "discard"
    window.close()
    assert list(window.autosaver.directory.iterdir()) == []


CRASHING_SESSION = textwrap.dedent("""
    from PySide6.QtCore import QTimer
    from netbuilder.ui import app

    qt_app = app.create_application()
    window = app.open_main_window(None, autosave_interval_ms=50)
    window.editor.add_node("Linear", (10, 20), node_id="killed_work")

    def report_when_saved():
        if window.autosaver.file.exists():
            print("AUTOSAVED", window.autosaver.directory, flush=True)
        else:
            QTimer.singleShot(20, report_when_saved)

    report_when_saved()
    qt_app.exec()
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_work_autosaved_before_a_kill_is_offered_at_the_next_start(make_window, monkeypatch, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_SESSION], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line, deadline = "", time.monotonic() + 60
        while not line.startswith("AUTOSAVED") and time.monotonic() < deadline and proc.poll() is None:
            if select.select([proc.stdout], [], [], 1.0)[0]:
                line = proc.stdout.readline()
        assert line.startswith("AUTOSAVED"), "the session never autosaved"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    directory = Path(line.split(" ", 1)[1].strip())
    assert directory.is_relative_to(tmp_path)  # never the real user's folders

    asked = []
    monkeypatch.setattr(app, "ask_recover", lambda parent, recovery: asked.append(recovery.doc) or True)
    window = make_window.track(app.open_main_window(None, autosave_dir=directory))
    assert len(asked) == 1
    assert "killed_work" in window.editor.doc.nodes
    assert window.windowTitle().startswith("untitled.json*")
    assert not window.editor.undo_stack.isClean()
    assert not [p for p in directory.glob("session-*.json") if p != window.autosaver.file]

    monkeypatch.setattr(app, "ask_recover", lambda parent, recovery: pytest.fail("offered twice"))
    make_window.track(app.open_main_window(None, autosave_dir=directory))


def test_declining_recovery_removes_the_autosave(make_window, monkeypatch, tmp_path):
    directory = tmp_path / "orphans"
    directory.mkdir()
    orphan = directory / "session-dead.json"
    orphan.write_text(json.dumps({"format": "netbuilder.autosave", "path": "/somewhere/g.json",
                                  "saved_at": "2024-01-01T00:00:00", "graph": small_graph().to_dict()}))
    offered = []
    monkeypatch.setattr(app, "ask_recover", lambda parent, recovery: offered.append(recovery.original_path) and False)
    window = make_window.track(app.open_main_window(None, autosave_dir=directory))
    assert offered == ["/somewhere/g.json"]
    assert not orphan.exists()
    assert "linear_1" not in window.editor.doc.nodes


def test_a_new_graph_takes_its_file_name_on_first_save_and_keeps_a_name_it_has(make_window, monkeypatch, tmp_path):
    window = make_window()
    window.action_set["new"].trigger()
    window.editor.add_node("Input", (0, 0), {"shape": [4]})
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(tmp_path / "my_classifier.json"))
    window.action_set["save"].trigger()
    assert window.editor.doc.name == "my_classifier"
    assert json.loads((tmp_path / "my_classifier.json").read_text())["name"] == "my_classifier"
    assert window.training.controller.runs_dir == tmp_path / "runs"  # and runs/my_classifier/… under it
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(tmp_path / "other.json"))
    window.action_set["save_as"].trigger()
    assert window.editor.doc.name == "my_classifier"  # a name it has is the user's: Save As keeps it
    mode = (tmp_path / "other.json").stat().st_mode & 0o777
    assert mode == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
