"""Exception types of the core.

Every error a user can cause names *where* it happened: a path into the graph
document (``nodes[3].params.kernel_size``) or a node id, so the CLI can print it
and the canvas can point at it.
"""

from __future__ import annotations


class NetbuilderError(Exception):
    """Base class of every error netbuilder raises on purpose."""


class ParamError(NetbuilderError, ValueError):
    """A parameter value was refused; ``field`` is the parameter name."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


class GraphError(NetbuilderError):
    """A graph document is invalid.

    ``problems`` lists every problem found (one line each, each starting with
    its path into the document), so a user fixes a file in one pass instead of
    one error at a time.
    """

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = head + self.problems[0]
        else:
            text = head + f"{len(self.problems)} problems:\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(text)


class EditError(NetbuilderError, ValueError):
    """An edit of the document was refused (unknown node, cycle, bad port…)."""


class NodeError(NetbuilderError):
    """A failure attributed to one node (compile or run time)."""

    def __init__(self, node_id: str, message: str):
        super().__init__(message)
        self.node_id = node_id
