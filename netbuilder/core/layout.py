"""Automatic left-to-right layout by topological generation.

Each generation (nodes whose longest path from an input has the same length)
becomes a column; within a column nodes are ordered by the mean row of their
parents, which keeps wires short and mostly straight. A wire that skips
columns (a residual connection) gets a placeholder in every column it
crosses, as in Sugiyama's layered drawing, so it runs beside the nodes it
skips instead of through them.

A long chain would become a strip far wider than any window, so with
``wrap`` the columns are cut into bands of at most :data:`WRAP_COLUMNS`,
stacked top to bottom and read like lines of text; the graph then fits a
window at a zoom where shapes stay readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .document import GraphDocument

if TYPE_CHECKING:
    import networkx as nx

COLUMN_WIDTH = 240.0
ROW_HEIGHT = 150.0
WRAP_COLUMNS = 4
BAND_GAP = 90.0  # room under a band for the wire that returns to the next band


def layered_positions(doc: GraphDocument, origin: tuple[float, float] = (0.0, 0.0),
                      wrap: bool = False) -> dict[str, tuple[float, float]]:
    """New positions for every node; nodes never overlap. A graph with a cycle
    (only a hand-edited one can have it) is laid out in one row."""
    import networkx as nx  # here, not at import: the window opens without it (~0.25 s)

    graph = nx.DiGraph(doc.graph)  # a copy without parallel wires, to add placeholders to
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
    grid = {}
    for col in sorted(columns):
        members = columns[col]
        members.sort(key=lambda n: _parent_row(graph, n, row))
        top = -(len(members) - 1) / 2
        for i, node in enumerate(members):
            row[node] = top + i
            if node in doc.nodes:
                grid[node] = (col, top + i)
    per_band = _band_width(len(columns)) if wrap else len(columns) or 1
    band_top = _band_tops([len(columns[c]) for c in sorted(columns)], per_band)
    return {
        node: (origin[0] + (col % per_band) * COLUMN_WIDTH, origin[1] + band_top[col // per_band] + r * ROW_HEIGHT)
        for node, (col, r) in grid.items()
    }


def _band_width(n_columns: int) -> int:
    """Columns per band: all of them when few, else evenly split bands."""
    if n_columns <= WRAP_COLUMNS + 2:
        return max(n_columns, 1)
    bands = -(-n_columns // WRAP_COLUMNS)
    return -(-n_columns // bands)


def _band_tops(heights: list[int], per_band: int) -> list[float]:
    """Vertical centre of each band, so tall bands push the next one down."""
    tops, y = [], 0.0
    for start in range(0, max(len(heights), 1), per_band):
        tallest = max(heights[start:start + per_band], default=1)
        if tops:
            y += tallest / 2 * ROW_HEIGHT
        tops.append(y)
        y += tallest / 2 * ROW_HEIGHT + BAND_GAP
    return tops


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
