"""Where new cards go: the nearest free space, never on top of another card.

Paste used to land 40 px from the originals (piling up over repeated pastes)
and quick-add right under the pointer, once exactly over an existing node
(issue 18). Every placement asks :func:`free_offset` instead: the smallest
move, searched ring by ring on the snap grid, that keeps each new card a gap
clear of every card already on the canvas.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF

from .node_item import HEADER, PAD, ROW, SHAPE_GAP, SHAPE_HEIGHT, WIDTH

GAP = 20.0  # the least room between two cards (their shape labels included)
STEP = 20.0  # search step: two snap-grid cells
RINGS = 200  # searched this far (4,000 px) before giving up on free space
CARD_HEIGHT = HEADER + PAD + 2 * ROW + PAD + SHAPE_GAP + SHAPE_HEIGHT  # a one-port card and its shape label


def card_at(pos: tuple[float, float] | QPointF, height: float = CARD_HEIGHT) -> QRectF:
    """The room a card whose top-left corner is ``pos`` takes."""
    x, y = (pos.x(), pos.y()) if isinstance(pos, QPointF) else pos
    return QRectF(x, y, WIDTH, height)


def free_offset(new: list[QRectF], taken: Iterable[QRectF]) -> QPointF:
    """The shortest move of all of ``new`` that leaves none of them within
    :data:`GAP` of a rectangle in ``taken`` (ties: right and down first)."""
    blocked = [r.adjusted(-GAP, -GAP, GAP, GAP) for r in taken]

    def clear(dx: float, dy: float) -> bool:
        return not any(b.intersects(r.translated(dx, dy)) for r in new for b in blocked)

    for ring in range(RINGS):
        spots = [(dx * STEP, dy * STEP) for dx in range(-ring, ring + 1) for dy in range(-ring, ring + 1)
                 if max(abs(dx), abs(dy)) == ring]
        spots.sort(key=lambda d: (d[0] ** 2 + d[1] ** 2, -d[0] - d[1], -d[1]))
        for dx, dy in spots:
            if clear(dx, dy):
                return QPointF(dx, dy)
    return QPointF()
