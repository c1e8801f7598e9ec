"""What an import reports when a model cannot come onto the canvas as it is.

Nothing is dropped silently: every operation that has no netbuilder layer is
collected, with the source line that produced it, and reported all at once so
the user sees the whole list in one go (as the file loader does for files).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import NetbuilderError


@dataclass(frozen=True)
class SourceRef:
    """Where an operation came from in the user's code."""

    filename: str
    lineno: int
    text: str = ""

    def __str__(self) -> str:
        where = f"{self.filename}:{self.lineno}"
        return f"{where}: {self.text}" if self.text else where


@dataclass(frozen=True)
class UnsupportedOp:
    """One traced operation that no netbuilder layer reproduces, and why."""

    what: str  # e.g. "torch.nn.functional.linear", "nn.Conv3d 'encoder.conv'", "x.float()"
    reason: str
    source: SourceRef | None = None

    def __str__(self) -> str:
        where = f" (at {self.source})" if self.source else ""
        return f"{self.what}: {self.reason}{where}"


def grouped(ops: list[UnsupportedOp]) -> list[tuple[UnsupportedOp, int]]:
    """One entry per operation and source line, in first-seen order, with how often it came:
    a block run 50 times in a loop is one line, not 50."""
    counts: dict[UnsupportedOp, int] = {}
    for op in ops:
        counts[op] = counts.get(op, 0) + 1
    return list(counts.items())


class UnsupportedModelError(NetbuilderError):
    """The model uses operations netbuilder cannot represent; lists every one."""

    def __init__(self, model_name: str, ops: list[UnsupportedOp], extra: str = ""):
        self.ops = list(ops)
        lines = [f"cannot import {model_name}: {len(self.ops)} unsupported operation"
                 f"{'s' if len(self.ops) != 1 else ''}:"]
        lines += [f"  - {op}" + (f" ({count} times)" if count > 1 else "") for op, count in grouped(self.ops)]
        if extra:
            lines.append(extra)
        super().__init__("\n".join(lines))


class TraceError(NetbuilderError):
    """torch.fx could not trace the model; names the line it stopped at."""
