"""Automatic left-to-right layout by topological generation.

Each generation (nodes whose longest path from an input has the same length)
becomes a column; within a column nodes are ordered by the mean row of their
parents, which keeps wires short and mostly straight. A wire that skips
columns (a residual connection) gets a placeholder in every column it
crosses, as in Sugiyama's layered drawing, so it runs beside the nodes it
skips instead of through them.
"""

from __future__ import annotations

import networkx as nx

from .document import GraphDocument

COLUMN_WIDTH = 240.0
ROW_HEIGHT = 150.0


def layered_positions(doc: GraphDocument, origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    """New positions for every node; nodes never overlap. A graph with a cycle
    (only a hand-edited one can have it) is laid out in one row."""
    graph = nx.DiGraph()
    graph.add_nodes_from(doc.nodes)
    graph.add_edges_from((e.source, e.target) for e in doc.edges)
    if not nx.is_directed_acyclic_graph(graph):
        return {n: (origin[0] + i * COLUMN_WIDTH, origin[1]) for i, n in enumerate(doc.nodes)}
    rank: dict = {}
    for node in nx.topological_sort(graph):
        rank[node] = max((rank[p] + 1 for p in graph.predecessors(node)), default=0)
    _add_placeholders(graph, rank)
    columns: dict[int, list] = {}
    for node in [*doc.nodes, *(n for n in graph if n not in doc.nodes)]:  # real nodes first on ties
        columns.setdefault(rank[node], []).append(node)
    row: dict = {}
    positions = {}
    for col in sorted(columns):
        members = columns[col]
        members.sort(key=lambda n: _parent_row(graph, n, row))
        top = -(len(members) - 1) / 2
        for i, node in enumerate(members):
            row[node] = top + i
            if node in doc.nodes:
                positions[node] = (origin[0] + col * COLUMN_WIDTH, origin[1] + (top + i) * ROW_HEIGHT)
    return positions


def _add_placeholders(graph: nx.DiGraph, rank: dict) -> None:
    """Split every edge that spans several columns into one hop per column."""
    for source, target in list(graph.edges):
        if rank[target] - rank[source] < 2:
            continue
        graph.remove_edge(source, target)
        previous = source
        for col in range(rank[source] + 1, rank[target]):
            placeholder = ("placeholder", source, target, col)
            rank[placeholder] = col
            graph.add_edge(previous, placeholder)
            previous = placeholder
        graph.add_edge(previous, target)


def _parent_row(graph: nx.DiGraph, node, row: dict) -> float:
    rows = [row[p] for p in graph.predecessors(node) if p in row]
    return sum(rows) / len(rows) if rows else 0.0
