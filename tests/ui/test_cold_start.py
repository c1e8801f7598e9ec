"""The window shows before PyTorch loads, and shapes fill in right after the first paint."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from netbuilder.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "digits_cnn.json"


def loads_torch(code: str) -> bool:
    """Whether ``code``, run in a fresh interpreter, ends with torch imported."""
    probe = code + "\nimport sys\nprint('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1] == "True"


@pytest.mark.parametrize("code", [
    "import netbuilder.ui.main_window",
    "import netbuilder",
    textwrap.dedent("""
        from netbuilder.cli import main
        try:
            main(["--help"])
        except SystemExit:
            pass
    """),
    textwrap.dedent(f"""
        from netbuilder.ui import app
        app.create_application()
        window = app.open_main_window({str(EXAMPLE)!r}, load_core_after_paint=True)
    """),
], ids=["gui-modules", "package", "help", "window-opened"])
def test_nothing_before_the_first_paint_imports_torch(code):
    assert not loads_torch(code)


def test_shapes_fill_in_after_the_first_paint(qtbot, isolated_settings, tmp_path):
    window = MainWindow(autosave_dir=tmp_path / "autosave", load_core_after_paint=True)
    qtbot.addWidget(window)
    window.open_path(str(EXAMPLE))
    assert not window.editor.core_loaded and window.editor.report.loading
    assert window.status_labels["params"].text() == "loading PyTorch…"
    assert window.view.scene().items(), "the graph is drawn before its shapes are known"
    with qtbot.waitSignal(window.firstPainted, timeout=10_000):
        window.show()
    qtbot.waitUntil(lambda: window.editor.core_loaded, timeout=30_000)
    report = window.editor.report
    assert not report.loading and report.ok and report.total_params > 0
    assert window.status_labels["params"].text() == f"{report.total_params:,} parameters"
    window._ask_save_changes = lambda: "discard"
    window.close()
