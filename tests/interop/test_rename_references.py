"""Renaming nodes leaves no old id anywhere: edges, frozen nodes, the wiring
graph, shape inference (property test over random graphs), and undo puts every
reference back."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interop_random_graphs import graphs

from netbuilder.core.fileformat import dumps
from netbuilder.core.shapes import infer_shapes


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(max_steps=5), st.data())
def test_renamed_ids_are_gone_from_everything_the_document_holds(doc, data):
    ids = list(doc.nodes)
    doc.training["freeze"] = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
    doc.meta["weights"] = "net.weights.pt"
    before = dumps(doc)
    renames = []
    for old in data.draw(st.lists(st.sampled_from(ids), unique=True, min_size=1, max_size=4)):
        new = f"renamed_{len(renames)}_{old}"
        doc.rename_node(old, new)
        renames.append((old, new))
    gone = {old for old, _ in renames}
    saved = json.loads(dumps(doc))
    saved_ids = saved["meta"].pop("weights_ids")  # current id → id the weights file was made with
    assert saved_ids == {new: old for old, new in renames}
    assert gone.isdisjoint(_strings(saved))
    wired = {n for node in doc.nodes for e in doc.in_edges(node) + doc.out_edges(node) for n in (e.source, e.target)}
    assert gone.isdisjoint(wired) and not any(doc.in_edges(old) or doc.out_edges(old) for old in gone)
    assert gone.isdisjoint(infer_shapes(doc).nodes)
    for old, new in reversed(renames):
        doc.rename_node(new, old)
    assert dumps(doc) == before
