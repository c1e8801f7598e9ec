"""Shared by the interop tests: example inputs for a document, and what a round trip must keep."""

from __future__ import annotations

import torch

from netbuilder.core.document import GraphDocument
from netbuilder.core.shapes import infer_shapes, output_nodes


def example_inputs(doc: GraphDocument, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """One random batch per Input, in forward's order; token ids fit every Embedding."""
    report = infer_shapes(doc)
    generator = torch.Generator().manual_seed(seed)
    vocab = min((n.params["num_embeddings"] for n in doc.nodes.values() if n.type == "Embedding"), default=2)
    tensors = []
    for node_id in report.inputs:
        t = report.value_type(node_id)
        shape = (batch, *t.shape)
        tensors.append(torch.randint(0, vocab, shape, generator=generator) if t.dtype == "int64"
                       else torch.randn(shape, generator=generator))
    return tuple(tensors)


def canonical(doc: GraphDocument) -> dict:
    """A document as generated code can carry it: nodes, params and edges by id, no positions.

    Three things are not in the code netbuilder generates today, so they are compared by meaning:
    - Output nodes: their ids never appear in code, so they are replaced by the list of values
      the model returns (in order);
    - a pool's stride equal to its kernel size: torch stores the missing stride as the kernel
      size, so ``None`` and an explicit equal stride build the same module;
    - a recurrent node's ``output`` parameter when its port 0 feeds nothing.
    """
    returned = []
    for node_id in output_nodes(doc):
        if doc.nodes[node_id].type == "Output":
            edge = doc.in_edges(node_id)[0]
            returned.append((edge.source, edge.source_port))
        else:
            returned.append((node_id, 0))
    feeding = {(e.source, e.source_port) for e in doc.edges} | set(returned)
    nodes = {}
    for node_id, node in doc.nodes.items():
        if node.type == "Output":
            continue
        params = dict(node.params)
        if params.get("stride") is not None and params.get("stride") == params.get("kernel_size") \
                and "Pool" in node.type:
            params["stride"] = None
        if node.type in ("RNN", "LSTM", "GRU") and (node_id, 0) not in feeding:
            params["output"] = "sequence"
        nodes[node_id] = (node.type, params)
    edges = sorted((e.source, e.target, e.source_port, e.target_port) for e in doc.edges
                   if doc.nodes[e.target].type != "Output")
    return {"nodes": nodes, "edges": edges, "returns": returned}
