"""How netbuilder looks: the dark and light themes, icons and category colours.

The style sheets live in ``resources/themes/*.qss`` so they can be tuned
without touching code; this module holds only what code must draw itself
(toolbar icons tinted to the theme's text colour, category swatches for the
palette) so every widget picks its colours from one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSettings, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from .. import bundled
from .canvas.theme import category_color

RESOURCES = bundled.folder("resources")
ICONS = RESOURCES / "icons"
THEMES_DIR = RESOURCES / "themes"
SETTINGS_KEY = "ui/theme"


@dataclass(frozen=True)
class Theme:
    """The colours code needs; everything else is in the theme's QSS file."""

    name: str
    dark: bool
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    accent: str
    highlight: str
    error: str
    warning: str


DARK = Theme("dark", True, window="#1d1f24", base="#25272e", alternate="#2b2e36", text="#e4e6eb",
             muted="#9097a3", accent="#4c9dff", highlight="#264466", error="#ff6b6b", warning="#f5b83d")
LIGHT = Theme("light", False, window="#f3f4f7", base="#ffffff", alternate="#f7f8fa", text="#1f2328",
              muted="#5f6673", accent="#1f7ae0", highlight="#d9e8fb", error="#cf2a2f", warning="#a8660a")
THEMES = {t.name: t for t in (DARK, LIGHT)}

_current = DARK


def current() -> Theme:
    """The theme applied last (dark until :func:`apply_theme` says otherwise)."""
    return _current


def saved_theme() -> Theme:
    """The theme the person chose last time, dark by default."""
    return THEMES.get(str(QSettings().value(SETTINGS_KEY, DARK.name)), DARK)


def apply_theme(app: QApplication, theme: Theme, remember: bool = False) -> None:
    """Style the whole application; ``remember`` stores the choice for next start."""
    global _current
    _current = theme
    app.setStyle("Fusion")
    app.setPalette(_palette(theme))
    sheet = (THEMES_DIR / f"{theme.name}.qss").read_text(encoding="utf-8")
    app.setStyleSheet(sheet.replace("@icons/", ICONS.as_posix() + "/"))
    if remember:
        QSettings().setValue(SETTINGS_KEY, theme.name)


def _palette(theme: Theme) -> QPalette:
    """A Fusion palette matching the QSS, for the parts QSS does not reach
    (item views' text, tooltips, disabled text)."""
    palette = QPalette()
    roles = {
        QPalette.Window: theme.window,
        QPalette.WindowText: theme.text,
        QPalette.Base: theme.base,
        QPalette.AlternateBase: theme.alternate,
        QPalette.Text: theme.text,
        QPalette.Button: theme.alternate,
        QPalette.ButtonText: theme.text,
        QPalette.ToolTipBase: theme.base,
        QPalette.ToolTipText: theme.text,
        QPalette.PlaceholderText: theme.muted,
        QPalette.Highlight: theme.accent,
        QPalette.HighlightedText: "#ffffff",
        QPalette.Link: theme.accent,
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.Text, QPalette.WindowText, QPalette.ButtonText):
        palette.setColor(QPalette.Disabled, role, QColor(theme.muted))
    return palette


@lru_cache(maxsize=256)
def _svg_pixmap(name: str, color: str, size: int) -> QPixmap:
    svg = (ICONS / f"{name}.svg").read_text(encoding="utf-8").replace("currentColor", color)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    QSvgRenderer(QByteArray(svg.encode())).render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


def icon(name: str, theme: Theme | None = None) -> QIcon:
    """``resources/icons/<name>.svg`` drawn in the theme's text colour
    (muted when the action is disabled), crisp at every toolbar size."""
    theme = theme or _current
    result = QIcon()
    for size in (16, 20, 24, 32, 48):
        result.addPixmap(_svg_pixmap(name, theme.text, size), QIcon.Normal)
        result.addPixmap(_svg_pixmap(name, _mix(theme.muted, theme.window, 0.5), size), QIcon.Disabled)
    return result


def _mix(first: str, second: str, amount: float) -> str:
    """``first`` moved ``amount`` of the way towards ``second`` (as #rrggbb)."""
    a, b = QColor(first), QColor(second)
    channels = (round(x + (y - x) * amount) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3]))
    return "#" + "".join(f"{c:02x}" for c in channels)


@lru_cache(maxsize=32)
def category_icon(category: str) -> QIcon:
    """A rounded swatch in the colour of the category's node headers."""
    result = QIcon()
    for size in (16, 24, 32):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(Qt.NoPen)
        painter.setBrush(category_color(category))
        inset = size * 0.18
        painter.drawRoundedRect(QRectF(inset, inset, size - 2 * inset, size - 2 * inset), size * 0.2, size * 0.2)
        painter.end()
        result.addPixmap(pixmap)
    return result
