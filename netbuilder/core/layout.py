"""Automatic left-to-right layout by topological generation.

Each generation (nodes whose longest path from an input has the same length)
becomes a column; within a column nodes are ordered by the mean row of their
parents, which keeps wires short and mostly straight.
"""

from __future__ import annotations

import networkx as nx

from .document import GraphDocument

COLUMN_WIDTH = 240.0
ROW_HEIGHT = 150.0


def layered_positions(doc: GraphDocument, origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    """New positions for every node; nodes never overlap."""
    graph = nx.DiGraph()
    graph.add_nodes_from(doc.nodes)
    graph.add_edges_from((e.source, e.target) for e in doc.edges)
    rank = {}
    for node in nx.topological_sort(graph):
        rank[node] = max((rank[p] + 1 for p in graph.predecessors(node)), default=0)
    columns: dict[int, list[str]] = {}
    for node in doc.nodes:  # document order breaks ties
        columns.setdefault(rank[node], []).append(node)
    row: dict[str, float] = {}
    positions = {}
    for col in sorted(columns):
        members = columns[col]
        members.sort(key=lambda n: _parent_row(graph, n, row))
        top = -(len(members) - 1) / 2
        for i, node in enumerate(members):
            row[node] = top + i
            positions[node] = (origin[0] + col * COLUMN_WIDTH, origin[1] + (top + i) * ROW_HEIGHT)
    return positions


def _parent_row(graph: nx.DiGraph, node: str, row: dict[str, float]) -> float:
    rows = [row[p] for p in graph.predecessors(node) if p in row]
    return sum(rows) / len(rows) if rows else 0.0
