"""Where the folders the repository keeps at its top level are at run time.

``examples/`` and ``resources/`` (themes, icons) live beside the package in a
checkout, and ``netbuilder/_bundled`` links to them, so a built wheel carries
them inside the package (see ``pyproject.toml``). A checkout whose symbolic links
did not survive (some Windows set-ups) still finds them beside the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def folder(name: str) -> Path:
    """``examples`` or ``resources``, wherever this installation keeps it."""
    inside = _PACKAGE / "_bundled" / name
    return inside.resolve() if inside.is_dir() else _PACKAGE.parent / name
