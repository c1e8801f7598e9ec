"""Shared by the interop tests: example inputs for a document, and what a round trip must keep."""

from __future__ import annotations

import torch

from netbuilder.core.document import GraphDocument
from netbuilder.core.shapes import infer_shapes, output_nodes
from netbuilder.core.tokens import smallest_vocabulary


def example_inputs(doc: GraphDocument, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """One random batch per Input, in forward's order; token ids fit every lookup they reach."""
    report = infer_shapes(doc)
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for node_id in report.inputs:
        t = report.value_type(node_id)
        shape = (batch, *t.shape)
        tensors.append(torch.randint(0, smallest_vocabulary(doc, node_id), shape, generator=generator)
                       if t.dtype == "int64"
                       else torch.randn(shape, generator=generator))
    return tuple(tensors)


def canonical(doc: GraphDocument) -> dict:
    """A document as generated code carries it: nodes, params and edges by id, and what forward returns.

    Positions, node order and edge order are not in the code; parameters that change nothing as the
    node is wired (``GraphDocument.idle_params``) cannot be either.
    """
    nodes = {}
    for node_id, node in doc.nodes.items():
        idle = doc.idle_params(node_id)
        nodes[node_id] = (node.type, {k: v for k, v in node.params.items() if k not in idle})
    edges = sorted((e.source, e.target, e.source_port, e.target_port) for e in doc.edges)
    return {"nodes": nodes, "edges": edges, "returns": output_nodes(doc)}
