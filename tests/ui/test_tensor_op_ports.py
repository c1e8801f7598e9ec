"""A Chunk's pieces are its output ports: the card shows as many as ``chunks`` says, and follows edits."""

from __future__ import annotations

import pytest

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.layout import layered_positions
from netbuilder.ui.canvas import GraphView
from netbuilder.ui.editor import Editor

pytestmark = pytest.mark.timeout(60)


def attention_front() -> GraphDocument:
    doc = GraphDocument("qkv")
    doc.add_node("Input", {"shape": [5, 12]}, node_id="x")
    doc.add_node("Chunk", {"chunks": 3, "dim": -1}, node_id="qkv")
    doc.add_node("ScaledDotProductAttention", {}, node_id="attn")
    doc.add_node("Mean", {"dim": [1]}, node_id="pool")
    for edge in (Edge("x", "qkv"), Edge("qkv", "attn", 0, 0), Edge("qkv", "attn", 1, 1), Edge("qkv", "attn", 2, 2),
                 Edge("attn", "pool")):
        doc.connect(edge)
    for node_id, pos in layered_positions(doc).items():
        doc.move_node(node_id, pos)
    return doc


def test_a_chunk_card_has_a_port_per_piece(qtbot, tmp_path):
    editor = Editor(attention_front())
    view = GraphView(editor)
    qtbot.addWidget(view)
    view.resize(1000, 300)
    view.show()
    qtbot.waitExposed(view)
    view.fit_view()
    assert view.node_item("qkv")._n_out == 3
    assert view.node_item("pool").shape_text == "(N, 4)"
    assert view.grab().save(str(tmp_path / "qkv.png"))
    view.grab().save("/tmp/ops-qkv.png")
    editor.set_param("qkv", "chunks", 4)
    qtbot.waitUntil(lambda: view.node_item("qkv")._n_out == 4)
    assert editor.report.nodes["attn"].status == "ok"
    editor.undo_stack.undo()
    qtbot.waitUntil(lambda: view.node_item("qkv")._n_out == 3)
