"""Tracing a module with torch.fx, remembering which source line made each node.

fx records *what* ran but not the variable names or lines of the user's code.
The importer needs both: lines for its reports ("unsupported at model.py:23")
and names so that ``add_1 = relu_1 + relu_2`` comes back as a node with id
``add_1`` (an exact round trip of netbuilder's own exports). The tracer below
notes, for every node it creates, the innermost frame outside torch and
netbuilder: :func:`statement_of` gives the name the statement assigns (read
with :mod:`ast`) or its ``# node: <id>`` tag, and :func:`generated_id_of` the
id of the node that wrote the line when the model is one netbuilder compiled.
"""

from __future__ import annotations

import ast
import inspect
import io
import linecache
import os
import re
import sys
import textwrap
import tokenize
import traceback
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType, FrameType

import torch
import torch.fx as fx
from torch import nn

from ..core.compiler import node_for_line
from .errors import SourceRef, TraceError
from .module_table import drop_path_rate
from .values import training_mode

_OWN_DIRS = (os.path.dirname(torch.__file__) + os.sep, os.path.dirname(__file__) + os.sep)
_STDLIB_DIR = os.path.dirname(os.__file__) + os.sep
_NODE_TAG = re.compile(r"#\s*node:\s*(\S+)\s*")
_SPECIALISATION_CHECKS = {torch.fx._symbolic_trace._assert_is_none, torch._assert}


def _is_user_code(filename: str) -> bool:
    """False for torch, this package and the standard library (functools wrappers)."""
    if filename.startswith(_OWN_DIRS) or filename.startswith("<frozen"):
        return False
    return not filename.startswith(_STDLIB_DIR) or "site-packages" in filename


def _user_frame(start: FrameType | None) -> FrameType | None:
    frame = start
    while frame is not None and not _is_user_code(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


@dataclass(frozen=True)
class Statement:
    """The statement that created a node: ``key`` tells executions apart."""

    key: tuple[int, int]  # (id of the frame, first line of the statement)
    name: str | None  # a ``# node: <id>`` tag on it, or the single-assignment variable it assigns


@dataclass(frozen=True)
class _FunctionSource:
    statements: tuple[tuple[int, int, str | None], ...]  # (first line, last line, assigned name)
    returned: tuple[str | None, ...]  # per returned value: its name if bound by ``name = other``, else None


def _node_tags(source: str) -> dict[int, str]:
    """``x = a + b  # node: total`` → {line: "total"}: an id the code could not use as a name."""
    tags = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        match = _NODE_TAG.fullmatch(token.string) if token.type == tokenize.COMMENT else None
        if match:
            tags[token.start[0]] = match.group(1)
    return tags


@lru_cache(maxsize=256)
def _function_source(code: CodeType) -> _FunctionSource | None:
    """Simple statements of a function and the name each gives its value.

    A ``# node: <id>`` comment names it outright. Otherwise an assigned name
    is kept only if the function assigns it exactly once (parameters count):
    ``x = F.relu(x)`` reuses ``x`` and says nothing about the node.
    """
    try:
        lines, start = inspect.getsourcelines(code)
        text = textwrap.dedent("".join(lines))
        tree, tags = ast.parse(text), _node_tags(text)
    except (OSError, TypeError, SyntaxError, IndentationError, tokenize.TokenError):
        return None
    if not tree.body or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    func = tree.body[0]
    stores = Counter(a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg))
    stores.update(n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    statements = []
    for stmt in ast.walk(func):
        if not isinstance(stmt, ast.stmt) or hasattr(stmt, "body"):
            continue
        name = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            name = stmt.target.id
        if name is not None and stores[name] != 1:
            name = None
        name = next((tags[n] for n in range(stmt.lineno, stmt.end_lineno + 1) if n in tags), name)
        statements.append((stmt.lineno + start - 1, stmt.end_lineno + start - 1, name))
    return _FunctionSource(tuple(statements), _returned_aliases(func, stores))


def _returned_aliases(func: ast.FunctionDef, stores: Counter) -> tuple[str | None, ...]:
    """``out = h; return out``: the names an Output node would carry, for a single return."""
    returns = [n for n in ast.walk(func) if isinstance(n, ast.Return) and n.value is not None]
    if len(returns) != 1:
        return ()
    value = returns[0].value
    items = value.elts if isinstance(value, ast.Tuple) else [value]
    aliases = {n.targets[0].id for n in ast.walk(func) if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Name)}
    return tuple(i.id if isinstance(i, ast.Name) and i.id in aliases and stores[i.id] == 1 else None for i in items)


def returned_names(module: nn.Module) -> tuple[str | None, ...]:
    """Names that ``forward`` gives its results through plain aliases (see :func:`_returned_aliases`)."""
    code = getattr(type(module).forward, "__code__", None)
    source = _function_source(code) if code is not None else None
    return source.returned if source else ()


def _statement(frame: FrameType) -> Statement:
    source = _function_source(frame.f_code)
    line = frame.f_lineno
    best = None
    for first, last, name in source.statements if source else ():
        if first <= line <= last and (best is None or last - first < best[1] - best[0]):
            best = (first, last, name)
    first, name = (best[0], best[2]) if best else (line, None)
    return Statement((id(frame), first), name)


class _SourceTracer(fx.Tracer):
    """An fx tracer that stores the user's source line on every node."""

    def __init__(self):
        super().__init__()
        self.frames: list[FrameType] = []  # held while tracing, so frame ids stay unique

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        """torch.nn's modules, and a user's drop path, whose random numbers are its own business."""
        return super().is_leaf_module(m, module_qualified_name) or drop_path_rate(m) is not None

    def create_node(self, *args, **kwargs) -> fx.Node:
        node = super().create_node(*args, **kwargs)
        frame = _user_frame(sys._getframe(1))
        if frame is not None:
            self.frames.append(frame)
            filename, lineno = frame.f_code.co_filename, frame.f_lineno
            node.meta["netbuilder_source"] = SourceRef(filename, lineno, linecache.getline(filename, lineno).strip())
            node.meta["netbuilder_statement"] = _statement(frame)
            node.meta["netbuilder_node"] = node_for_line(filename, lineno)
        return node


def source_of(node: fx.Node) -> SourceRef | None:
    return node.meta.get("netbuilder_source")


def statement_of(node: fx.Node) -> Statement | None:
    return node.meta.get("netbuilder_statement")


def generated_id_of(node: fx.Node) -> str | None:
    """The netbuilder node id behind ``node`` when it was traced from a compiled netbuilder model."""
    return node.meta.get("netbuilder_node")


def _concrete_args(module: nn.Module, n_inputs: int) -> dict:
    """Defaults of ``forward`` parameters beyond the example inputs."""
    params = list(inspect.signature(module.forward).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params) and len(positional) < n_inputs:
        return {}
    if len(positional) < n_inputs:
        raise TraceError(f"{type(module).__name__}.forward takes {len(positional)} inputs, "
                         f"got {n_inputs} example inputs")
    missing = [p.name for p in positional[n_inputs:] if p.default is p.empty]
    if missing:
        raise TraceError(f"{type(module).__name__}.forward also needs {', '.join(missing)}: "
                         f"give one example input for each")
    return {p.name: p.default for p in positional[n_inputs:]}


def _drop_specialised(graph: fx.Graph, n_inputs: int) -> None:
    """Remove the placeholders and guards fx adds for defaulted arguments."""
    for node in reversed(list(graph.nodes)):
        if node.op == "call_function" and node.target in _SPECIALISATION_CHECKS:
            graph.erase_node(node)
    graph.eliminate_dead_code()
    for node in [n for n in graph.nodes if n.op == "placeholder"][n_inputs:]:
        if not node.users:
            graph.erase_node(node)


def _failure_message(module: nn.Module, err: Exception) -> str:
    frames = [f for f in traceback.extract_tb(err.__traceback__) if _is_user_code(f.filename)]
    where = f" at {frames[-1].filename}:{frames[-1].lineno}: {(frames[-1].line or '').strip()}" if frames else ""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return (f"torch.fx cannot trace {type(module).__name__}{where}\n  {type(err).__name__}: {text}\n"
            "  Usual causes: Python if/for/while that depends on tensor values, turning tensors into "
            "Python numbers, or calls into non-torch libraries. Rewrite that part, or import the "
            "traceable submodule instead.")


def trace(module: nn.Module, n_inputs: int, tracer: _SourceTracer | None = None) -> fx.GraphModule:
    """Trace ``module`` (in training mode, the graph netbuilder trains); ``tracer`` may
    be a subclass that decides differently which submodules stay whole."""
    tracer = tracer or _SourceTracer()
    concrete = _concrete_args(module, n_inputs)
    try:
        with training_mode(True, module):
            graph = tracer.trace(module, concrete_args=concrete or None)
    except Exception as err:
        raise TraceError(_failure_message(module, err)) from err
    finally:
        tracer.frames.clear()
    if concrete:
        _drop_specialised(graph, n_inputs)
    return fx.GraphModule(tracer.root, graph, type(module).__name__)
