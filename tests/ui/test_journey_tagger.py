"""Journey 11, the tagger: open the example, train it from a CoNLL file, read the
mistagged sentences, type a sentence into Try it and see its tags; all through the
real widgets, with the run in the worker process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from journey_helpers import activate, click, type_into, type_path
from PySide6.QtWidgets import QDialogButtonBox
from test_journeys import RUN_MS, train_panel

from netbuilder.train import tagging
from netbuilder.ui import app
from netbuilder.ui.training.data_wizard import ImportDataDialog

pytestmark = pytest.mark.timeout(240)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lstm_tagger.json"
SHOTS = os.environ.get("NETBUILDER_SHOTS")  # a folder to save screenshots in, to look at them


def write_conll(path: Path, sentences) -> None:
    path.write_text("\n\n".join("\n".join(f"{w}\t{t}" for w, t in zip(*s)) for s in sentences) + "\n",
                    encoding="utf-8")


def test_j11_train_the_tagger_from_a_conll_file_and_try_a_sentence(make_window, qtbot, tmp_path, monkeypatch):
    good, broken = tmp_path / "pos.conll", tmp_path / "broken.conll"
    write_conll(good, tagging.grammar_sentences(1500, seed=3))
    broken.write_text("the\tDET\ndog\tNOUN\n\nshe sings\n", encoding="utf-8")
    window = make_window.track(app.open_main_window(str(EXAMPLE), autosave_dir=tmp_path / "autosave"))
    qtbot.waitUntil(window.isVisible)
    assert window.status_labels["output"].text() == "output (N, 20, 10)"
    hook, dock = train_panel(window, tmp_path)
    assert dock.data_combo.currentText().startswith("pos_tags")

    def import_with(steps):
        def run(dialog):
            dialog.show()
            activate(qtbot, dialog)
            steps(dialog)
            return dialog.result()

        monkeypatch.setattr(ImportDataDialog, "exec", run)
        click(qtbot, dock.data.import_button)

    def broken_file(dialog):
        type_path(dialog.path_edit, str(broken))
        click(qtbot, dialog.check_button)
        assert "broken.conll, line 4: expected a word and its tag" in dialog.status.text()
        assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
        click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel))

    import_with(broken_file)

    def good_file(dialog):
        type_path(dialog.path_edit, str(good))
        click(qtbot, dialog.check_button)
        assert "1500 sentences" in dialog.status.text() and "10 tags" in dialog.status.text()
        if SHOTS:
            dialog.grab().save(f"{SHOTS}/wizard.png")
        click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))

    import_with(good_file)
    assert window.editor.doc.training["data"]["source"] == str(good)

    with qtbot.waitSignal(hook.controller.ended, timeout=RUN_MS):
        click(qtbot, dock.train_button)
    assert hook.controller.error is None, hook.controller.error
    history = hook.controller.result.history
    assert history[-1]["token_accuracy"] >= 0.95
    assert dock.plots.metric_name == "token_accuracy"
    dock.right.setCurrentWidget(dock.gallery)
    mistakes = dock.sentence_mistakes
    assert mistakes.isVisible() and not dock.gallery.list.isVisible()
    assert mistakes.sentences and "validation tokens mistagged" in mistakes.toPlainText()
    assert "≠" in mistakes.toPlainText()  # a wrong tag next to the true one
    if SHOTS:
        dock.grab().save(f"{SHOTS}/mistakes.png")

    dock.right.setCurrentWidget(dock.try_it)
    try_it = dock.try_it
    assert try_it.edit.isEnabled()
    type_into(try_it.edit, "the old dog sees a bird in the park .")
    text = try_it.answer.toPlainText()
    assert "DET" in text and "NOUN" in text and "VERB" in text
    assert try_it.tags == ["DET", "ADJ", "NOUN", "VERB", "DET", "NOUN", "ADP", "DET", "NOUN", "PUNCT"]
    if SHOTS:
        dock.grab().save(f"{SHOTS}/try_it.png")

    written = dock.export_run(dock.runs.runs[0], str(tmp_path / "export"))  # Runs › Export: model, weights…
    names = {p.name for p in written}
    assert {"lstm_tagger.py", "lstm_tagger.pt", "train.py", "vocabulary.json"} <= names, names


def test_train_on_the_builtin_is_checked_before_it_starts_and_names_the_lstm():
    from netbuilder.core.fileformat import load_graph
    from netbuilder.core.shapes import infer_shapes
    from netbuilder.ui.training import preflight

    doc = load_graph(EXAMPLE)
    assert preflight.check(doc, infer_shapes(doc), doc.training) == []
    doc.nodes["lstm"].params["output"] = "last"
    (message, node_id), = preflight.check(doc, infer_shapes(doc), doc.training)
    assert "no time axis: LSTM 'lstm' gives only its last step" in message and node_id == "log_probs"
