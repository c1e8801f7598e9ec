"""Random token ids stay below the vocabulary of every lookup they reach, by one rule."""

import torch
from core_helpers import wire
from torch import nn

from netbuilder.core.document import GraphDocument
from netbuilder.core.export import export_python
from netbuilder.core.layers import all_specs
from netbuilder.core.tokens import UNBOUNDED, module_vocabulary, smallest_vocabulary


def _two_token_inputs() -> GraphDocument:
    """``words`` reaches a vocabulary of 9 directly and one of 5 through Flatten → Unflatten;
    ``tags`` reaches only one of 30."""
    doc = GraphDocument("tokens")
    doc.add_node("Input", {"shape": [4], "dtype": "int64"}, node_id="words")
    doc.add_node("Input", {"shape": [4], "dtype": "int64"}, node_id="tags")
    doc.add_node("Embedding", {"num_embeddings": 9, "embedding_dim": 3}, node_id="big")
    doc.add_node("Flatten", {}, node_id="flat")
    doc.add_node("Unflatten", {"dim": 1, "unflattened_size": [4]}, node_id="back")
    doc.add_node("Embedding", {"num_embeddings": 5, "embedding_dim": 3}, node_id="small")
    doc.add_node("Embedding", {"num_embeddings": 30, "embedding_dim": 3}, node_id="tag_embed")
    doc.add_node("Concat", {"dim": 1}, node_id="cat")
    return wire(doc, ("words", "big"), ("words", "flat"), ("flat", "back"), ("back", "small"),
                ("tags", "tag_embed"), ("big", "cat", 0, 0), ("small", "cat", 0, 1), ("tag_embed", "cat", 0, 2))


def test_each_input_gets_the_smallest_vocabulary_it_reaches():
    doc = _two_token_inputs()
    assert smallest_vocabulary(doc, "words") == 5
    assert smallest_vocabulary(doc, "tags") == 30


def test_ids_that_reach_no_lookup_are_kept_small():
    doc = GraphDocument("ids")
    doc.add_node("Input", {"shape": [3], "dtype": "int64"}, node_id="ids")
    doc.add_node("Output", node_id="out")
    wire(doc, ("ids", "out"))
    assert smallest_vocabulary(doc, "ids") == UNBOUNDED


def test_the_exported_example_batch_uses_the_rule():
    code = export_python(_two_token_inputs())
    assert "torch.randint(0, 5, (2, 4,))" in code and "torch.randint(0, 30, (2, 4,))" in code


def test_a_users_module_gets_the_smallest_vocabulary_of_its_lookups():
    class Tagged(nn.Embedding):
        pass

    model = nn.ModuleDict({"a": nn.Embedding(12, 2), "b": nn.Sequential(nn.Linear(2, 2), Tagged(7, 2))})
    assert module_vocabulary(model) == 7
    assert module_vocabulary(nn.Linear(2, 2)) == UNBOUNDED


def test_lookup_layers_name_their_vocabulary():
    lookups = {spec.type: spec.vocabulary for spec in all_specs() if spec.vocabulary is not None}
    assert lookups == {"Embedding": "num_embeddings", "EmbeddingBag": "num_embeddings"}
    assert torch.nn.Embedding(4, 2).num_embeddings == torch.nn.EmbeddingBag(4, 2).num_embeddings == 4  # what it reads
