import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


# -- main-window fixtures (tests/ui/test_window*, test_palette*, test_inspector*, test_files*) --
@pytest.fixture
def isolated_settings(tmp_path, qapp):
    """QSettings (recent files, theme, window layout) under ``tmp_path``,
    never in the real user's configuration."""
    from PySide6.QtCore import QSettings

    qapp.setOrganizationName("netbuilder-tests")
    qapp.setApplicationName("netbuilder-tests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    return tmp_path / "settings"


class WindowFactory:
    """Makes MainWindows that are closed after the test, unsaved work
    discarded (like napari's ``make_napari_viewer``); :meth:`track` adopts a
    window made elsewhere (by ``app.open_main_window``)."""

    def __init__(self, qtbot, autosave_dir):
        self.qtbot = qtbot
        self.autosave_dir = autosave_dir
        self.windows = []

    def __call__(self, show: bool = True, **options):
        from netbuilder.ui.main_window import MainWindow

        options.setdefault("autosave_dir", self.autosave_dir)
        window = self.track(MainWindow(**options))
        if show:
            window.show()
            self.qtbot.waitExposed(window)
        return window

    def track(self, window):
        self.windows.append(window)
        return window

    def close_all(self):
        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QApplication

        for window in self.windows:
            window._ask_save_changes = lambda: "discard"
            window.close()
            window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.DeferredDelete)


@pytest.fixture
def make_window(qtbot, isolated_settings, tmp_path):
    from PySide6.QtWidgets import QApplication

    before = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
    factory = WindowFactory(qtbot, tmp_path / "autosave")
    yield factory
    factory.close_all()
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible() and id(w) not in before]
    assert not leaked, f"top-level windows left open: {[type(w).__name__ for w in leaked]}"
