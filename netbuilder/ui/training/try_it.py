"""Text results: mistagged sentences, and a box to try the trained model on your own words.

:class:`SentenceMistakes` lists the validation sentences a tagger got most wrong,
each word over its predicted tag, the wrong ones marked in the error colour with the
true tag beside. :class:`TryItBox` loads a finished run's model and vocabulary (in
this process: a tagger is small, and loading takes a fraction of a second) and shows
the tags, or the class, of whatever sentence is typed into it.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from .. import theme


def _word_html(word: str, tag: str, wrong: bool, true: str | None = None, unknown: bool = False) -> str:
    """``word`` with its tag in small capitals after it; a wrong one bold, underlined and in the
    error colour, with ``≠ true tag``. Inline, so a sentence wraps like text in a narrow panel."""
    t = theme.current()
    style = f"color: {t.error}; font-weight: bold; text-decoration: underline;" if wrong else ""
    style += " font-style: italic;" if unknown else ""
    tag_style = f"color: {t.error};" if wrong else f"color: {t.muted};"
    tag_text = html.escape(tag) + (f" ≠ {html.escape(true)}" if wrong and true else "")
    return (f"<span style='{style}'>{html.escape(word)}</span><sub style='{tag_style}'>&nbsp;{tag_text}</sub>")


def sentence_html(words: list[str], pred: list[str], true: list[str] | None = None,
                  unknown: tuple[int, ...] = ()) -> str:
    """One sentence, each word followed by its tag (``pred ≠ true`` where wrong)."""
    cells = [_word_html(w, p, true is not None and p != true[i], true[i] if true else None, i in unknown)
             for i, (w, p) in enumerate(zip(words, pred))]
    return "<p style='margin: 2px 0 8px 0; line-height: 150%;'>" + " &nbsp; ".join(cells) + "</p>"


class SentenceMistakes(QTextBrowser):
    """The worst-tagged validation sentences, the wrong tags marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.sentences: list[dict] = []

    def set_sentences(self, sentences: list[dict], total_tokens: int, wrong_tokens: int) -> None:
        self.sentences = list(sentences)
        t = theme.current()
        head = (f"<p>{wrong_tokens} of {total_tokens} validation tokens mistagged; the sentences with the most "
                f"wrong tags first (<span style='color: {t.error};'>wrong tag ≠ true tag</span>)</p>"
                if wrong_tokens else f"<p>All {total_tokens} validation tokens tagged right</p>")
        rows = [f"<p style='margin: 6px 0 0 0; color: {t.muted};'><small>sentence #{s['index']} · "
                f"{len(s['wrong'])} wrong</small></p>" + sentence_html(s["words"], s["pred"], s["true"])
                for s in self.sentences]
        self.setHtml(head + "".join(rows))


class TryItBox(QWidget):
    """``Try it: [a sentence…] [Tag]`` and the answer below, for a run trained on text."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = None  # a train.predict_text.TextModel
        self.run_dir: Path | None = None
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Type a sentence, then press Enter")
        self.edit.returnPressed.connect(self.run)
        self.button = QPushButton("Tag")
        self.button.clicked.connect(self.run)
        self.answer = QTextBrowser()
        self.answer.setObjectName("tryItAnswer")
        self.status = QLabel("Train a model on text (token ids) to try it here")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addLayout(row)
        layout.addWidget(self.answer, 1)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        self.edit.setEnabled(on)
        self.button.setEnabled(on)

    def clear(self) -> None:
        self.model, self.run_dir = None, None
        self.button.setText("Tag")
        self.answer.clear()
        self.status.setText("Train a model on text (token ids) to try it here")
        self._enable(False)

    def set_run(self, run_dir: str | Path) -> bool:
        """Use ``run_dir``'s kept model; False (and disabled) when it was not trained on text."""
        from ...train.predict_text import TextModel

        try:
            model = TextModel.from_run(run_dir)
        except Exception as err:  # noqa: BLE001 - a run that cannot be loaded is said, not raised
            self.clear()
            self.status.setText(f"Cannot load this run's model: {err}")
            return False
        if model is None:
            self.clear()
            return False
        self.model, self.run_dir = model, Path(run_dir)
        what = f"classifies a sentence into {len(model.labels)} classes" if model.classifier else "tags each word"
        self.status.setText(f"The kept model of run {self.run_dir.name} {what}; {len(model.words):,} words "
                            "known" + ("" if model.classifier else ", words it never saw are in italics"))
        self.button.setText("Classify" if model.classifier else "Tag")
        self._enable(True)
        self.edit.setFocus()
        return True

    def run(self) -> None:
        if self.model is None:
            return
        prediction = self.model.predict(self.edit.text())
        if not prediction.words:
            self.answer.setHtml("<p>Type some words first</p>")
        elif prediction.tags is not None:
            self.answer.setHtml(sentence_html(prediction.words, prediction.tags, unknown=prediction.unknown))
        else:
            unknown = [prediction.words[i] for i in prediction.unknown]
            note = f"<p><small>never seen in training: {html.escape(', '.join(unknown))}</small></p>" if unknown else ""
            self.answer.setHtml(f"<p><b>{html.escape(prediction.label)}</b> ({prediction.confidence:.0%})</p>{note}")

    @property
    def label(self) -> str | None:
        """The class shown now, for a text classifier (for tests and the status bar)."""
        prediction = self.model.predict(self.edit.text()) if self.model is not None else None
        return prediction.label if prediction is not None else None

    @property
    def tags(self) -> list[str]:
        """The tags shown now (for tests and the status bar)."""
        prediction = self.model.predict(self.edit.text()) if self.model is not None else None
        return list(prediction.tags or []) if prediction is not None else []
