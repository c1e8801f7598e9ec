"""Colours and fonts of the canvas, for the dark and the light theme.

Header colours belong to layer categories (as Netron colours nodes by kind)
and carry white text, so the same hues read well on both backgrounds; only
the surfaces around them (canvas, card body, wires, labels) change with the
theme. Fonts are sized in pixels so the node geometry, which is in scene
units, does not depend on the screen's DPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF

CATEGORY_COLORS = {
    "Input/Output": "#7b5cc4",
    "Core": "#3a7cc0",
    "Convolution": "#1f8f8a",
    "Pooling": "#4a9a4f",
    "Padding": "#5f8f6a",
    "Normalization": "#a9822a",
    "Regularization": "#687586",
    "Activation": "#c2524f",
    "Reshape": "#8c6a5a",
    "Recurrent": "#cc6f2c",
    "Attention": "#b84f93",
    "Merge": "#5664bd",
    "Blocks": "#3d7f9e",  # a block instance: a sub-network of any of the above
}
_FALLBACK = "#6b7280"


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, _FALLBACK))


@dataclass(frozen=True)
class CanvasTheme:
    """Every colour the canvas paints with; one instance per theme."""

    dark: bool
    background: QColor
    grid_minor: QColor
    grid_major: QColor
    body: QColor
    border: QColor
    text: QColor
    muted: QColor
    shape: QColor
    unknown: QColor
    wire: QColor
    wire_unknown: QColor
    label_fill: QColor
    label_border: QColor
    label_text: QColor
    port_free: QColor
    accent: QColor
    shadow: QColor
    error: QColor = field(default_factory=lambda: QColor("#e5484d"))
    warning: QColor = field(default_factory=lambda: QColor("#f0a020"))
    ok: QColor = field(default_factory=lambda: QColor("#3fb950"))
    header_text: QColor = field(default_factory=lambda: QColor("#ffffff"))


DARK = CanvasTheme(
    dark=True,
    background=QColor("#1d1f23"),
    grid_minor=QColor("#24272c"),
    grid_major=QColor("#2d3137"),
    body=QColor("#2a2d33"),
    border=QColor("#3e434b"),
    text=QColor("#e8eaed"),
    muted=QColor("#9aa1ab"),
    shape=QColor("#8ec7ff"),
    unknown=QColor("#6b717a"),
    wire=QColor("#8a939f"),
    wire_unknown=QColor("#5a6069"),
    label_fill=QColor("#25282d"),
    label_border=QColor("#444a53"),
    label_text=QColor("#b4bcc7"),
    port_free=QColor("#1d1f23"),
    accent=QColor("#3d9bff"),
    shadow=QColor(0, 0, 0, 90),
)

LIGHT = CanvasTheme(
    dark=False,
    background=QColor("#f3f4f6"),
    grid_minor=QColor("#e9ebee"),
    grid_major=QColor("#dcdfe4"),
    body=QColor("#ffffff"),
    border=QColor("#c5cad2"),
    text=QColor("#1f2328"),
    muted=QColor("#5f6772"),
    shape=QColor("#1f66b3"),
    unknown=QColor("#a0a6ae"),
    wire=QColor("#7d8693"),
    wire_unknown=QColor("#b8bdc5"),
    label_fill=QColor("#ffffff"),
    label_border=QColor("#cfd4db"),
    label_text=QColor("#4b535e"),
    port_free=QColor("#ffffff"),
    accent=QColor("#1f7ae0"),
    shadow=QColor(0, 0, 0, 28),
)


@dataclass(frozen=True)
class Fonts:
    title: QFont
    body: QFont
    small: QFont
    mono: QFont
    label: QFont


def _font(size_px: int, bold: bool = False, fixed: bool = False) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if fixed else QFont()
    font.setPixelSize(size_px)
    font.setBold(bold)
    return font


@cache
def fonts() -> Fonts:
    """Created on first use: fonts need a running QGuiApplication."""
    return Fonts(title=_font(12, bold=True), body=_font(11), small=_font(10), mono=_font(10, fixed=True),
                 label=_font(9, fixed=True))


@cache
def metrics(which: str) -> QFontMetricsF:
    return QFontMetricsF(getattr(fonts(), which))
