"""`netbuilder` on a Linux box without Qt's X11 libraries: one plain message with the install
command for that distribution, and exit 2, instead of Qt aborting the process."""

from __future__ import annotations

import pytest

from netbuilder import cli
from netbuilder.ui import platform_check

X11 = {"DISPLAY": ":0"}


def os_release(tmp_path, text: str):
    path = tmp_path / "os-release"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, command, package", [
    ('ID=debian\n', "sudo apt-get install", "libxcb-icccm4"),
    ('ID=ubuntu\nID_LIKE=debian\n', "sudo apt-get install", "libxcb-icccm4"),
    ('ID="fedora"\n', "sudo dnf install", "xcb-util-wm"),
    ('ID=rocky\nID_LIKE="rhel centos fedora"\n', "sudo dnf install", "xcb-util-wm"),
    ('ID=arch\n', "sudo pacman -S", "xcb-util-wm"),
])
def test_the_message_names_the_missing_libraries_and_the_command(tmp_path, text, command, package):
    present = {"libxcb-cursor.so.0"}
    message = platform_check.problem(X11, loads=present.__contains__, os_release=os_release(tmp_path, text))
    assert "libxcb-icccm.so.4" in message and "libxcb-cursor.so.0" not in message
    line = next(line for line in message.splitlines() if command in line)
    assert package in line.split()
    assert sum(line.strip().startswith("sudo") for line in message.splitlines()) == 1


def test_an_unknown_distribution_gets_every_command(tmp_path):
    message = platform_check.problem(X11, loads=lambda name: False, os_release=tmp_path / "none")
    assert all(command in message for command in ("apt-get", "dnf", "pacman"))


@pytest.mark.parametrize("environ, platform, expected", [
    ({"DISPLAY": ":0"}, "linux", True),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "linux", False),
    ({}, "darwin", False),
    ({}, "win32", False),
])
def test_only_the_xcb_platform_is_checked(environ, platform, expected):
    assert platform_check.uses_xcb(environ, platform) is expected


def test_nothing_is_said_when_every_library_loads():
    assert platform_check.problem(X11, loads=lambda name: True) is None


def test_the_gui_command_exits_with_the_message_instead_of_starting_qt(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(platform_check, "problem", lambda: "netbuilder cannot open its window: …")
    started = []
    monkeypatch.setattr("netbuilder.ui.app.run", lambda path: started.append(path) or 0)
    assert cli.main([str(tmp_path / "graph.json")]) == 2
    assert "cannot open its window" in capsys.readouterr().err and not started
