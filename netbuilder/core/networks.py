"""Several networks in one document (docs/DOCUMENT-DESIGN.md, "Several networks in one file").

A network is an Output node together with everything it depends on, and the
Output node's id names it: a GAN file holds Input ``z`` → … → Output ``generator``
and Input ``image`` → … → Output ``discriminator``. :func:`network` cuts one out as
a document of its own, so shape inference, the compiler and code export take it
unchanged; :func:`network_groups` says which nodes belong together, for the
canvas frames.
"""

from __future__ import annotations

from .document import GraphDocument
from .errors import NetbuilderError


class NetworkError(NetbuilderError):
    """A network was asked for by a name no Output node has."""


def output_ids(doc: GraphDocument) -> list[str]:
    """The ids of the document's Output nodes, in document order: its network names."""
    return [node_id for node_id, node in doc.nodes.items() if doc.spec_for(node.type).is_output]


def upstream(doc: GraphDocument, node_id: str) -> set[str]:
    """``node_id`` and every node it depends on."""
    seen, todo = {node_id}, [node_id]
    while todo:
        for source in doc.predecessors(todo.pop()):
            if source not in seen:
                seen.add(source)
                todo.append(source)
    return seen


def network(doc: GraphDocument, output_id: str) -> GraphDocument:
    """The network that ends in Output ``output_id``, as a new document named after it.

    Nodes and edges keep the document's order and ids; training and meta are copied
    so a compiled or exported network carries the same settings."""
    if output_id not in doc.nodes or not doc.spec_for(doc.nodes[output_id].type).is_output:
        names = ", ".join(map(repr, output_ids(doc))) or "none"
        raise NetworkError(f"no Output node {output_id!r} names a network here (the Output nodes: {names})")
    keep = upstream(doc, output_id)
    part = GraphDocument(output_id)
    whole = doc.copy()
    part.nodes = {i: n for i, n in whole.nodes.items() if i in keep}
    part.edges = [e for e in whole.edges if e.source in keep and e.target in keep]
    part.training, part.meta = whole.training, whole.meta
    part._forget_wiring()
    return part


def network_groups(doc: GraphDocument) -> dict[str, list[str]]:
    """``{network name: its node ids}`` when the document holds more than one
    disconnected network, else ``{}`` (one network needs no frame).

    Networks that share a node are one connected part and are not framed apart;
    a part without an Input of its own (a Parameter returned beside the model)
    is no network either; nodes that belong to no Output are left out."""
    names = output_ids(doc)
    if len(names) < 2:
        return {}
    groups = {name: upstream(doc, name) for name in names}
    taken: set[str] = set()
    for nodes in groups.values():
        if nodes & taken or not any(doc.spec_for(doc.nodes[n].type).is_input for n in nodes):
            return {}
        taken |= nodes
    return {name: [i for i in doc.nodes if i in nodes] for name, nodes in groups.items()}
