"""A block class's docstring: what the exported code says about its definition, and reading it back.

The exported class of a block reads like a hand-written one, and its
docstring carries what Python code cannot (so that importing the export
gives the same definition again)::

    ResNet basic block: two 3x3 convolutions and a 1x1 projection on the skip path.

    Args:
        channels (int, minimum 1): Output channels.
        stride (int, minimum 1): Stride of the first convolution and the skip.

    Inputs: x (N, 64, 8, 8). Outputs: out.

The summary is the definition's ``doc``; ``Args`` are its declared parameters
(kind, bounds, choices and doc; names and defaults are ``__init__``'s own);
``Inputs`` gives each Input node's example shape (and dtype when not float32),
``Outputs`` the ids of the Output nodes. The text is escaped, not cleaned, so
every character of a doc comes back. Reading is lenient: a docstring written by
hand gives its summary and whatever of these sections it has.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from .blockparams import declaration

_WIDTH = 86  # characters of text on a docstring line (the class is indented by 4)
_ENTRY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*) \(([^)]*)\)(?::\s*(.*))?")
_PORT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*) \(N(?:, )?([0-9, ]*)\)(?: ([a-z0-9]+))?")


def _escaped(text: str) -> str:
    """One line of ``text`` that a docstring gives back exactly (backslashes and quotes escaped)."""
    line = " ".join(str(text).split())
    line = "".join(c if c.isprintable() else " " for c in line)
    return line.replace("\\", "\\\\").replace('"', '\\"')


def _wrap(text: str, indent: str = "", hanging: str = "") -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=indent, subsequent_indent=hanging or indent,
                         break_long_words=False, break_on_hyphens=False) or [indent.rstrip()]


def default_summary(name: str) -> str:
    """What the docstring says of a block without a doc (read back as no doc)."""
    return f"The block {name}."


def _spec_text(raw: dict[str, Any]) -> str:
    parts = [raw["kind"]]
    if raw["kind"] == "choice":
        parts[0] += " " + json.dumps(raw["choices"])
    for bound in ("minimum", "maximum"):
        if raw.get(bound) is not None:
            parts.append(f"{bound} {json.dumps(raw[bound])}")
    return ", ".join(parts)


def _shape_text(params: dict[str, Any]) -> str:
    shape = ", ".join(str(d) for d in ["N", *params.get("shape", [])])
    dtype = params.get("dtype", "float32")
    return f"({shape})" + ("" if dtype == "float32" else f" {dtype}")


def block_docstring(name: str, definition, arguments: bool = True) -> list[str]:
    """The docstring lines (unindented, escaped) of the class written for ``definition``;
    ``Args`` only if the class takes them (a sequence block's ``nn.Sequential`` subclass does not)."""
    lines = _wrap(_escaped(definition.doc or default_summary(name)))
    if definition.parameters and arguments:
        lines += ["", "Args:"]
        for param, spec in definition.parameters.items():
            raw = declaration(spec)
            doc = f": {raw['doc']}" if raw.get("doc") else ""
            lines += _wrap(_escaped(f"{param} ({_spec_text(raw)}){doc}"), "    ", "        ")
    inputs = [n for n in definition.nodes.values() if definition.spec_for(n.type).is_input]
    outputs = [n.id for n in definition.nodes.values() if definition.spec_for(n.type).is_output]
    ports = (f"Inputs: {', '.join(f'{n.id} {_shape_text(n.params)}' for n in inputs)}. "
             f"Outputs: {', '.join(outputs)}.")
    return [*lines, "", *_wrap(ports)]


@dataclass
class BlockDocstring:
    """What a class's docstring says of the block it stands for (see the module docstring)."""

    summary: str = ""
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → kind, bounds, choices, doc
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # Input id → {"shape", "dtype"}
    outputs: list[str] = field(default_factory=list)


def _read_spec(text: str) -> dict[str, Any] | None:
    kind = text.split(",")[0].split(" ")[0]
    rest = text[len(kind):]
    raw: dict[str, Any] = {"kind": kind}
    try:
        if kind == "choice":
            end = rest.index("]") + 1
            raw["choices"], rest = json.loads(rest[:end]), rest[end:]
        for part in filter(None, (p.strip() for p in rest.split(","))):
            bound, _, value = part.partition(" ")
            if bound not in ("minimum", "maximum"):
                return None
            raw[bound] = json.loads(value)
    except ValueError:
        return None
    return raw if kind in ("int", "float", "bool", "str", "choice") else None


def _read_ports(text: str, found: BlockDocstring) -> None:
    inputs, _, outputs = text.partition(" Outputs: ")
    for match in _PORT.finditer(inputs.removeprefix("Inputs: ")):
        dims = [int(d) for d in match.group(2).replace(" ", "").split(",") if d]
        found.inputs[match.group(1)] = {"shape": dims, "dtype": match.group(3) or "float32"}
    found.outputs = [o.strip() for o in outputs.rstrip(".").split(",") if o.strip().isidentifier()]


def read_block_docstring(doc: str | None, name: str) -> BlockDocstring:
    """Read back what :func:`block_docstring` wrote (``doc`` is the class's ``__doc__``)."""
    found = BlockDocstring()
    if not doc:
        return found
    paragraphs: list[list[str]] = [[]]
    for line in doc.expandtabs().splitlines():
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [textwrap.dedent("\n".join(p)).splitlines() for p in paragraphs if p]
    summary = []
    for para in paragraphs:
        head = para[0].strip()
        if head == "Args:":
            entries: list[str] = []
            for line in para[1:]:
                if line.startswith("    ") and not line.startswith("     "):
                    entries.append(line.strip())
                elif entries:
                    entries[-1] += " " + line.strip()
            for entry in entries:
                match = _ENTRY.fullmatch(entry)
                raw = _read_spec(match.group(2)) if match else None
                if raw is not None:
                    found.parameters[match.group(1)] = {**raw, **({"doc": match.group(3)} if match.group(3) else {})}
        elif head.startswith("Inputs: "):
            _read_ports(" ".join(line.strip() for line in para), found)
        else:
            summary.append(" ".join(line.strip() for line in para))
    text = "\n\n".join(summary)
    found.summary = "" if text == default_summary(name) else text
    return found
