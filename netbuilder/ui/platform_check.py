"""Before Qt starts on Linux/X11: are the system libraries its xcb plugin needs there?

Without them Qt aborts the process with a message that names one library
(``libxcb-cursor0``) when a fresh Debian or Ubuntu box usually lacks ten. This
check opens each library first (``dlopen``, a few milliseconds, no Qt loaded)
and, if any is missing, gives one plain message with the install command for the
user's distribution, so ``netbuilder`` exits with an explanation instead of a
core dump. Nothing here imports Qt.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from pathlib import Path

#: shared object -> its package on (Debian/Ubuntu, Fedora, Arch)
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
}
_INSTALLERS = (("debian", "sudo apt-get install"), ("fedora", "sudo dnf install"), ("arch", "sudo pacman -S"))


def uses_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will pick its X11 (xcb) plugin here."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return not (environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland")


def _loads(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def distribution(os_release: Path = Path("/etc/os-release")) -> int | None:
    """0 Debian/Ubuntu, 1 Fedora/RHEL, 2 Arch, None when unknown (from os-release's ID and ID_LIKE)."""
    try:
        fields = dict(line.split("=", 1) for line in os_release.read_text().splitlines() if "=" in line)
    except OSError:
        return None
    ids = " ".join(fields.get(key, "").strip('"').lower() for key in ("ID", "ID_LIKE")).split()
    for index, (family, _) in enumerate(_INSTALLERS):
        if family in ids or (family == "debian" and "ubuntu" in ids) or (family == "fedora" and
                                                                        {"rhel", "centos"} & set(ids)):
            return index
    return None


def missing_libraries(loads: Callable[[str], bool] = _loads) -> list[str]:
    return [name for name in XCB_LIBRARIES if not loads(name)]


def problem(environ=os.environ, loads: Callable[[str], bool] = _loads,
            os_release: Path = Path("/etc/os-release")) -> str | None:
    """The message to print instead of starting Qt, or None when the window can open."""
    if not uses_xcb(environ):
        return None
    missing = missing_libraries(loads)
    if not missing:
        return None
    family = distribution(os_release)
    lines = [f"netbuilder cannot open its window: Qt's X11 support needs {len(missing)} system "
             f"librar{'y' if len(missing) == 1 else 'ies'} that {'is' if len(missing) == 1 else 'are'} "
             f"not installed ({', '.join(missing)})."]
    choices = [family] if family is not None else range(len(_INSTALLERS))
    if family is None:
        lines.append("Install them with the command for your system:")
    else:
        lines.append("Install them with:")
    for index in choices:
        packages = sorted({XCB_LIBRARIES[name][index] for name in missing})
        lines.append(f"    {_INSTALLERS[index][1]} {' '.join(packages)}")
    lines.append("(The command line works without them: netbuilder check / train / export.)")
    return "\n".join(lines)
