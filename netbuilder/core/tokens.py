"""How large token ids may be: the one rule for random ids that every lookup accepts.

Example batches (the exported file's, the ONNX export's, the importer's for a
user's model) must hold ids below the vocabulary of each layer that looks them
up, or ``nn.Embedding`` fails with an index error. Which layers look ids up,
and which parameter is their vocabulary, the layer specs say
(:attr:`LayerSpec.vocabulary`); nothing here names a layer type.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

from .document import GraphDocument
from .layers import TokenIds, all_specs

#: Ids below this are used where no lookup bounds them (0 and 1 are valid for any vocabulary).
UNBOUNDED = 2


def _smallest(sizes: Iterable[int]) -> int:
    return min(sizes, default=UNBOUNDED)


def smallest_vocabulary(doc: GraphDocument, input_id: str) -> int:
    """The smallest vocabulary the ids of ``input_id`` reach, through the layers
    that pass ids on (Flatten, Concat, Output), so random ids are valid everywhere."""
    sizes, seen, stack = [], {input_id}, [input_id]
    while stack:
        for edge in doc.out_edges(stack.pop()):
            node = doc.nodes[edge.target]
            if node.spec.vocabulary is not None:
                sizes.append(node.params[node.spec.vocabulary])
            elif node.spec.token_ids is TokenIds.PASSED and edge.target not in seen:
                seen.add(edge.target)
                stack.append(edge.target)
    return _smallest(sizes)


def module_vocabulary(model: nn.Module) -> int:
    """The same rule for a user's module, which has no graph to follow: the
    smallest vocabulary of every lookup module it holds. A lookup layer's
    vocabulary parameter is a torch constructor argument, which the module
    keeps as an attribute of that name (``nn.Embedding.num_embeddings``)."""
    lookups = [(getattr(nn, s.torch_class), s.vocabulary) for s in all_specs() if s.vocabulary is not None]
    return _smallest(getattr(m, name) for m in model.modules() for cls, name in lookups if isinstance(m, cls))
