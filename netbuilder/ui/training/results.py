"""What a finished classification run got right and wrong.

:class:`ConfusionMatrixView` paints the matrix as a heat map (cells shaded by
the fraction of each true class, so a rare class's errors show as clearly as
a common one's) with the count in every cell. :class:`MistakesGallery` lists
validation samples, the worst mistakes first (the most confident wrong
answers), as pictures for image data and as feature values otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QSizePolicy, QVBoxLayout, QWidget

from .. import theme

THUMB = 72


@dataclass(frozen=True)
class SampleView:
    """One validation sample as the gallery shows it."""

    index: int
    x: np.ndarray
    true: int
    pred: int
    confidence: float  # probability given to ``pred``
    loss: float = float("nan")


class ConfusionMatrixView(QWidget):
    """Rows are true classes, columns predicted; counts in the cells."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.class_names: list[str] = []
        self.caption = ""  # which epoch the matrix is of: "kept epoch 16", "epoch 3"
        self.setMinimumSize(220, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("Confusion matrix on the validation set: rows are the true class, "
                        "columns the predicted one; shading is the share of each row")

    def set_matrix(self, matrix, class_names: list[str] | None = None, caption: str = "") -> None:
        self.matrix = np.asarray(matrix, dtype=np.int64)
        self.caption = caption
        n = self.matrix.shape[0] if self.matrix.ndim == 2 else 0
        self.class_names = list(class_names or [])[:n] or [str(i) for i in range(n)]
        self.update()

    def clear(self) -> None:
        self.set_matrix(np.zeros((0, 0)), [])

    @property
    def title(self) -> str:
        """``accuracy 98.6% · kept epoch 16``: the score, and which epoch's it is."""
        return " · ".join(part for part in (f"accuracy {self.accuracy:.1%}", self.caption) if part)

    def label_font(self) -> QFont:
        """The font of the title and the class names (smaller than the panel's)."""
        small = QFont(self.font())
        small.setPointSizeF(8.5)
        return small

    @property
    def accuracy(self) -> float:
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")

    def cell_text(self, row: int, col: int) -> str:
        return str(int(self.matrix[row, col]))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        t = theme.current()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(t.base))
        n = self.matrix.shape[0] if self.matrix.ndim == 2 else 0
        if n == 0:
            painter.setPen(QColor(t.muted))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "The confusion matrix appears\nafter a classification run")
            return
        label_w = min(70, max(28, 7 * max(len(c) for c in self.class_names) + 10))
        top = 38  # two lines above the matrix: the title, then "predicted →"
        side = min(self.width() - label_w - 28, self.height() - top - label_w + 8)
        cell = max(6.0, side / n)
        x0, y0 = label_w + 18, top
        rows = self.matrix.sum(axis=1, keepdims=True)
        share = np.divide(self.matrix, rows, out=np.zeros(self.matrix.shape), where=rows > 0)
        base, accent, error = QColor(t.alternate), QColor(t.accent), QColor(t.error)
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, min(10.0, cell * 0.32)))
        painter.setFont(font)
        for r in range(n):
            for c in range(n):
                tint = accent if r == c else error
                color = _mix(base, tint, float(share[r, c]) ** 0.6)
                rect = QRectF(x0 + c * cell, y0 + r * cell, cell - 1, cell - 1)
                painter.fillRect(rect, color)
                if self.matrix[r, c] and cell >= 14:
                    painter.setPen(QColor("#ffffff") if share[r, c] > 0.45 else QColor(t.text))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.cell_text(r, c))
        painter.setFont(self.label_font())
        painter.setPen(QColor(t.muted))
        for i, name in enumerate(self.class_names):
            painter.drawText(QRectF(18, y0 + i * cell, label_w - 4, cell), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, _elide(name, 9))
            painter.save()
            painter.translate(x0 + i * cell + cell / 2, y0 + n * cell + 4)
            painter.rotate(-60 if len(name) > 2 else 0)
            align = Qt.AlignmentFlag.AlignRight if len(name) > 2 else Qt.AlignmentFlag.AlignHCenter
            painter.drawText(QRectF(-label_w if len(name) > 2 else -cell / 2, 0,
                                    label_w if len(name) > 2 else cell, 16), align | Qt.AlignmentFlag.AlignTop,
                             _elide(name, 9))
            painter.restore()
        painter.setPen(QColor(t.text))
        painter.drawText(QRectF(4, 2, self.width() - 8, 16), Qt.AlignmentFlag.AlignCenter,
                         painter.fontMetrics().elidedText(self.title, Qt.TextElideMode.ElideRight, self.width() - 8))
        painter.setPen(QColor(t.muted))
        painter.drawText(QRectF(x0, 20, n * cell, 16), Qt.AlignmentFlag.AlignCenter, "predicted →")
        painter.save()
        painter.translate(10, y0 + n * cell / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-60, -8, 120, 16), Qt.AlignmentFlag.AlignCenter, "true →")
        painter.restore()


def _mix(a: QColor, b: QColor, amount: float) -> QColor:
    amount = max(0.0, min(1.0, amount))
    return QColor(*(round(x + (y - x) * amount) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3])))


def _elide(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def sample_pixmap(x: np.ndarray, size: int = THUMB) -> QPixmap | None:
    """A sample drawn as a picture: (1, H, W) grey, (3, H, W) colour, (H, W) grey.

    Values are stretched to the sample's own range and scaled up without
    smoothing, so an 8×8 digit stays a crisp 8×8 grid of squares.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3 and x.shape[0] in (1, 3):
        x = np.transpose(x, (1, 2, 0))
    elif x.ndim != 2:
        return None
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    scaled = np.clip((x - lo) / (hi - lo if hi > lo else 1.0) * 255, 0, 255).astype(np.uint8)
    if scaled.ndim == 3 and scaled.shape[2] == 3:
        data = np.ascontiguousarray(scaled)
        image = QImage(data.data, data.shape[1], data.shape[0], data.shape[1] * 3, QImage.Format.Format_RGB888)
    else:
        data = np.ascontiguousarray(scaled.reshape(scaled.shape[0], scaled.shape[1]))
        image = QImage(data.data, data.shape[1], data.shape[0], data.shape[1], QImage.Format.Format_Grayscale8)
    image = image.copy()  # own the pixels: ``data`` goes away
    return QPixmap.fromImage(image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.FastTransformation))


def _features_text(x: np.ndarray, limit: int = 6) -> str:
    flat = np.asarray(x).ravel()
    shown = ", ".join(f"{v:.2g}" for v in flat[:limit])
    return f"[{shown}{', …' if len(flat) > limit else ''}]"


class MistakesGallery(QWidget):
    """Validation samples, worst mistakes first, with true and predicted labels."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("Samples the model got wrong appear here after a run")
        self.summary.setWordWrap(True)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 40, THUMB + 44))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)

    def clear(self) -> None:
        self.list.clear()
        self.summary.setText("Samples the model got wrong appear here after a run")

    def set_samples(self, samples: list[SampleView], class_names: list[str], image: bool,
                    total: int | None = None, wrong: int | None = None, limit: int = 48) -> None:
        """Show ``samples`` ordered worst first: wrong answers by confidence, then right ones.

        ``total`` and ``wrong`` count the whole validation set, of which ``samples``
        may be only the worst few (the engine keeps the most confident mistakes).
        """
        self.list.clear()
        wrong_items = sorted((s for s in samples if s.pred != s.true), key=lambda s: -s.confidence)
        right = sorted((s for s in samples if s.pred == s.true), key=lambda s: s.confidence)
        shown = (wrong_items + right)[:limit]
        names = lambda i: class_names[i] if 0 <= i < len(class_names) else str(i)  # noqa: E731
        for s in shown:
            ok = s.pred == s.true
            text = f"{'✓' if ok else '✗'} {names(s.pred)} ({s.confidence:.0%})\ntrue {names(s.true)}"
            item = QListWidgetItem(text)
            pixmap = sample_pixmap(s.x) if image else None
            if pixmap is not None:
                item.setIcon(QIcon(pixmap))
            else:
                item.setText(text + "\n" + _features_text(s.x))
            item.setToolTip(f"validation sample #{s.index}: true {names(s.true)}, predicted {names(s.pred)} "
                            f"with p={s.confidence:.3f}" + ("" if s.loss != s.loss else f", loss {s.loss:.3f}"))
            item.setForeground(QColor(theme.current().text if ok else theme.current().error))
            item.setData(Qt.ItemDataRole.UserRole, s.index)
            self.list.addItem(item)
        n = total if total is not None else len(samples)
        n_wrong = len(wrong_items) if wrong is None else wrong
        if n_wrong:
            which = f"the {len(wrong_items)} most confident" if len(wrong_items) < n_wrong else "most confident"
            self.summary.setText(f"{n_wrong} of {n} validation samples wrong; {which} first")
        else:
            self.summary.setText(f"All {n} validation samples right")
