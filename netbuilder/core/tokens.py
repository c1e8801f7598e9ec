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
from .library import BlockSpec

#: Ids below this are used where no lookup bounds them (0 and 1 are valid for any vocabulary).
UNBOUNDED = 2


def _smallest(sizes: Iterable[int]) -> int:
    return min(sizes, default=UNBOUNDED)


def smallest_vocabulary(doc: GraphDocument, input_id: str) -> int:
    """The smallest vocabulary the ids of ``input_id`` reach, through the layers
    that pass ids on (Flatten, Concat, Output) and into the blocks they feed, so
    random ids are valid everywhere."""
    sizes: list[int] = []
    _follow(doc, input_id, None, sizes, {})
    return _smallest(sizes)


def _follow(doc: GraphDocument, start: str, port: int | None, sizes: list[int], inside: dict) -> set[str]:
    """Follow ids from output ``port`` of ``start`` (every port: ``None``), adding the
    vocabulary of each lookup reached to ``sizes``; returns the Output nodes reached
    (where ids leave a block definition). ``inside`` remembers each block port entered."""
    reached, seen, stack = set(), {(start, port)}, [(start, port)]
    while stack:
        node_id, from_port = stack.pop()
        for edge in doc.out_edges(node_id):
            if from_port is not None and edge.source_port != from_port:
                continue
            node = doc.nodes[edge.target]
            spec = doc.spec_for(node.type)
            if spec.vocabulary is not None:
                size = node.params[spec.vocabulary]
                sizes.append(size if isinstance(size, int) else doc.parameters[size[1:]].default)
                continue
            if isinstance(spec, BlockSpec):
                key = (spec.block, edge.target_port)
                if key not in inside:
                    inside[key] = set()  # a block reached again through itself adds nothing
                    inside[key] = _follow(doc.library.blocks[spec.block], spec.input_ids[edge.target_port], None,
                                          sizes, inside)
                nexts = [(edge.target, spec.output_ids.index(o)) for o in inside[key]]
            elif spec.token_ids is TokenIds.PASSED:
                if spec.is_output:
                    reached.add(edge.target)
                nexts = [(edge.target, None)]
            else:
                nexts = []
            for item in nexts:
                if item not in seen:
                    seen.add(item)
                    stack.append(item)
    return reached


def module_vocabulary(model: nn.Module) -> int:
    """The same rule for a user's module, which has no graph to follow: the
    smallest vocabulary of every lookup module it holds. A lookup layer's
    vocabulary parameter is a torch constructor argument, which the module
    keeps as an attribute of that name (``nn.Embedding.num_embeddings``)."""
    lookups = [(getattr(nn, s.torch_class), s.vocabulary) for s in all_specs() if s.vocabulary is not None]
    return _smallest(getattr(m, name) for m in model.modules() for cls, name in lookups if isinstance(m, cls))
