"""A graph's search space: what may vary, over which range, and where each value goes.

The file's ``search`` section (docs/DOCUMENT-DESIGN.md, "Search spaces") holds
named variables and the study's settings::

    "search": {"space": {"lr": {"kind": "float", "low": 1e-4, "high": 0.1, "log": true,
                                "targets": ["training.lr"]}, ...},
               "study": {"sampler": "tpe", "pruner": "median", "trials": 20}}

A variable is a float range (optionally log-scale or stepped), an int range with
a step, or a list of choices. Each of its *targets* receives the sampled value:
``training.<setting>`` (a short name from :data:`TRAINING_ALIASES` or a dotted
path into the training object), ``<node id>.<param>``, or, once a document has
block definitions, ``<Block>/<node id>.<param>``; several targets tie nodes to
one variable. ``<node id>.bypass`` (:data:`BYPASS`, choices true/false) is
structure: a node that may be skipped, its input wired straight to its output
(:func:`bypass_edges`; only a node whose input and output shapes agree,
:func:`bypass_problems`). Nothing here samples: :mod:`netbuilder.train.search`
asks Optuna and hands the values to :func:`apply_values`, which writes them into
a copy.

:func:`space_problems` checks the section's form and every target against the
document (loading refuses a target whose node is missing, naming it). Deleting a
node removes its targets in the same undo step (:func:`prune_targets`); renaming
a node or a block rewrites them (:func:`renamed_targets`, :func:`renamed_block`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from .errors import GraphError, ParamError
from .layers import get_spec, has_spec
from .search_bypass import BYPASS, skip_node, why_not_bypassed

FLOAT, INT, CHOICE = "float", "int", "choice"
KINDS = (FLOAT, INT, CHOICE)
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
GRID_POINTS = 5  # a float range without a step is tried at this many points by the grid sampler
DEFAULT_STUDY = {"sampler": "tpe", "pruner": "median", "trials": 20}
STUDY_KEYS = {"sampler", "pruner", "trials", "timeout", "seed", "grid_points"}

#: ``training.<short>`` for the settings people vary most; any dotted path into the training object also works.
TRAINING_ALIASES = {
    "lr": "optimizer.lr",
    "optimizer": "optimizer.name",
    "weight_decay": "optimizer.weight_decay",
    "momentum": "optimizer.momentum",
    "scheduler": "scheduler.name",
    "loss": "loss.name",
    "label_smoothing": "loss.label_smoothing",
}


@dataclass(frozen=True)
class Variable:
    """One dimension of the space (read from the file by :func:`read_space`)."""

    name: str
    kind: str
    targets: tuple[str, ...]
    low: float | int | None = None
    high: float | int | None = None
    step: float | int | None = None
    log: bool = False
    choices: tuple = ()

    def grid(self, points: int = GRID_POINTS) -> list:
        """The values a grid search tries: every choice, every step, or ``points``
        evenly (log-evenly) spaced floats."""
        if self.kind == CHOICE:
            return list(self.choices)
        if self.kind == INT:
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        if self.step:
            count = int(round((self.high - self.low) / self.step)) + 1
            return [self.low + i * self.step for i in range(count)]
        if points == 1 or self.low == self.high:
            return [self.low]
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            return [math.exp(a + (b - a) * i / (points - 1)) for i in range(points)]
        return [self.low + (self.high - self.low) * i / (points - 1) for i in range(points)]


@dataclass(frozen=True)
class Target:
    """Where a value goes: ``training`` with a dotted ``path``, or a node (``node``
    and ``param``) of the top document (``block`` None) or of a block definition."""

    text: str
    training_path: str | None = None
    block: str | None = None
    node: str | None = None
    param: str | None = None


@dataclass
class SearchSpace:
    variables: dict[str, Variable] = field(default_factory=dict)
    study: dict[str, Any] = field(default_factory=dict)


def parse_target(text: Any) -> Target:
    """Split a target's text; raises ``ValueError`` with the reason for a malformed one."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected a target like 'training.lr' or 'conv1.out_channels', got {text!r}")
    if text.startswith("training."):
        path = text[len("training."):]
        return Target(text, training_path=TRAINING_ALIASES.get(path, path))
    block, _, rest = text.rpartition("/")
    node, dot, param = rest.rpartition(".")
    if not dot or not node or not param:
        raise ValueError(f"{text!r} is not '<node id>.<parameter>' or 'training.<setting>'")
    return Target(text, block=block or None, node=node, param=param)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _variable_problems(name: str, raw: Any, path: str) -> list[str]:
    if not isinstance(raw, dict):
        return [f"{path}: expected an object, got {type(raw).__name__}"]
    kind = raw.get("kind")
    if kind not in KINDS:
        return [f"{path}.kind: expected one of {', '.join(KINDS)}, got {kind!r}"]
    allowed = {"kind", "targets", "choices"} if kind == CHOICE else {"kind", "targets", "low", "high", "step", "log"}
    problems = [f"{path}.{key}: unknown field for a {kind} variable (known: {', '.join(sorted(allowed))})"
                for key in sorted(set(raw) - allowed)]
    targets = raw.get("targets")
    if not isinstance(targets, list) or not targets:
        problems.append(f"{path}.targets: expected a non-empty list of targets (e.g. [\"training.lr\"])")
    else:
        for i, text in enumerate(targets):
            try:
                parse_target(text)
            except ValueError as err:
                problems.append(f"{path}.targets[{i}]: {err}")
    if kind == CHOICE:
        choices = raw.get("choices")
        if not isinstance(choices, list) or not choices:
            problems.append(f"{path}.choices: expected a non-empty list of values")
        elif any(not (c is None or isinstance(c, (str, bool)) or _number(c)) for c in choices):
            problems.append(f"{path}.choices: each choice must be a string, number, true/false or null")
        elif len({repr(c) for c in choices}) != len(choices):
            problems.append(f"{path}.choices: a value is listed twice")
        return problems
    low, high, step, log = raw.get("low"), raw.get("high"), raw.get("step"), raw.get("log", False)
    for key, value in (("low", low), ("high", high)):
        if not _number(value) or (kind == INT and not float(value).is_integer()):
            problems.append(f"{path}.{key}: expected {'an integer' if kind == INT else 'a number'}, got {value!r}")
    if not isinstance(log, bool):
        problems.append(f"{path}.log: expected true or false, got {log!r}")
    if step is not None and (not _number(step) or step <= 0 or (kind == INT and not float(step).is_integer())):
        problems.append(f"{path}.step: expected a positive {'integer' if kind == INT else 'number'}, got {step!r}")
    if problems:
        return problems
    if low > high:
        problems.append(f"{path}: low ({low}) is greater than high ({high})")
    if log is True and low <= 0:
        problems.append(f"{path}.low: a log range needs low > 0, got {low}")
    if log is True and step is not None:
        problems.append(f"{path}.step: a log range cannot have a step")
    if step is not None and low <= high and not math.isclose(((high - low) / step) % 1, 0, abs_tol=1e-9) \
            and not math.isclose(((high - low) / step) % 1, 1, abs_tol=1e-9):
        problems.append(f"{path}.step: high - low ({high - low:g}) is not a multiple of the step ({step:g})")
    return problems


def _study_problems(raw: Any, path: str) -> list[str]:
    if not isinstance(raw, dict):
        return [f"{path}: expected an object, got {type(raw).__name__}"]
    problems = [f"{path}.{key}: unknown setting (known: {', '.join(sorted(STUDY_KEYS))})"
                for key in sorted(set(raw) - STUDY_KEYS)]
    for key, names in (("sampler", SAMPLERS), ("pruner", PRUNERS)):
        if key in raw and raw[key] not in names:
            problems.append(f"{path}.{key}: expected one of {', '.join(names)}, got {raw[key]!r}")
    for key in ("trials", "seed", "grid_points"):
        value = raw.get(key)
        if value is not None and not (_number(value) and float(value).is_integer() and value >= (key != "seed")):
            problems.append(f"{path}.{key}: expected a {'non-negative' if key == 'seed' else 'positive'} integer, "
                            f"got {value!r}")
    timeout = raw.get("timeout")
    if timeout is not None and not (_number(timeout) and timeout > 0):
        problems.append(f"{path}.timeout: expected a number of seconds > 0, got {timeout!r}")
    return problems


def space_problems(search: Any, doc=None, path: str = "search") -> list[str]:
    """Every problem of a ``search`` section, each starting with its path
    (``search.space.lr.low: …``). With ``doc``, targets naming a node present
    are checked against its parameters (see the module docstring)."""
    if not isinstance(search, dict):
        return [f"{path}: expected an object, got {type(search).__name__}"]
    problems = [f"{path}.{key}: unknown section (known: space, study)" for key in sorted(set(search) - {"space",
                                                                                                      "study"})]
    space = search.get("space", {})
    if not isinstance(space, dict):
        problems.append(f"{path}.space: expected an object of named variables")
        space = {}
    for name, raw in space.items():
        found = _variable_problems(name, raw, f"{path}.space.{name}")
        problems += found
        if not found and doc is not None:
            problems += _bound_problems(doc, raw, f"{path}.space.{name}")
    if "study" in search:
        problems += _study_problems(search["study"], f"{path}.study")
    return problems


def target_problems(doc, path: str = "search") -> list[str]:
    """:func:`space_problems` of ``doc.search`` (a document built in code may hold what no file could)."""
    return space_problems(doc.search, doc, path)


def _bound_problems(doc, raw: dict, path: str) -> list[str]:
    """Problems of a well-formed variable's node targets in ``doc``."""
    problems = []
    for i, text in enumerate(raw["targets"]):
        target = parse_target(text)
        if target.training_path is not None:
            continue
        where = f"{path}.targets[{i}]"
        owner = owner_of(doc, target)
        if owner is None or target.node not in owner.nodes:
            what = f"block {target.block!r}" if owner is None else f"node {target.node!r}"
            problems.append(f"{where}: {text!r} names no {what} in the graph"
                            if owner is None or target.block is None else
                            f"{where}: {text!r}: block {target.block!r} has no node {target.node!r}")
            continue
        if target.param == BYPASS:
            if raw["kind"] != CHOICE or any(not isinstance(c, bool) for c in raw["choices"]):
                problems.append(f"{where}: {text!r} says whether node {target.node!r} is skipped: "
                                "expected choices of true and false")
            continue
        node = owner.nodes[target.node]
        spec = spec_in(owner, node.type)
        param = spec.param(target.param) if spec is not None else None
        if param is None:
            known = ", ".join(p.name for p in spec.params) if spec is not None else ""
            problems.append(f"{where}: {node.type} '{target.node}' has no parameter {target.param!r}"
                            + (f" (it has: {known})" if known else ""))
            continue
        for value in _extremes(raw):
            try:
                param.validate(value)
            except ParamError as err:
                problems.append(f"{where}: {target.node}.{target.param} cannot be {value!r}: {err.detail}")
                break
    return problems


def _extremes(raw: dict) -> list:
    """The values that stand for a variable's whole range when checked against a parameter."""
    if raw["kind"] == CHOICE:
        return list(raw["choices"])
    return [raw["low"], raw["high"]]


def owner_of(doc, target: Target):
    """The document holding a target's node: ``doc`` itself, or the named block
    definition (documents gain ``blocks`` with the nested-document design; before
    that, a block target names nothing)."""
    if target.block is None:
        return doc
    blocks = getattr(doc, "blocks", None) or {}
    return blocks.get(target.block)


def spec_in(owner, type_name: str):
    spec_for = getattr(owner, "spec_for", None)  # block instances resolve through the document
    if spec_for is not None:
        return spec_for(type_name)
    return get_spec(type_name) if has_spec(type_name) else None


def read_space(search: dict) -> SearchSpace:
    """The validated space of a ``search`` section; raises :class:`GraphError` listing every problem."""
    problems = space_problems(search)
    if problems:
        raise GraphError(problems)
    variables = {}
    for name, raw in search.get("space", {}).items():
        kind = raw["kind"]
        number = int if kind == INT else float
        variables[name] = Variable(
            name, kind, tuple(raw["targets"]),
            low=None if kind == CHOICE else number(raw["low"]),
            high=None if kind == CHOICE else number(raw["high"]),
            step=None if kind == CHOICE or raw.get("step") is None else number(raw["step"]),
            log=bool(raw.get("log", False)), choices=tuple(raw.get("choices", ())))
    return SearchSpace(variables, {**DEFAULT_STUDY, **search.get("study", {})})


def targets_of_node(search: dict, node_id: str, block: str | None = None) -> dict[str, str]:
    """``{param: variable name}`` for the parameters of node ``node_id`` that vary (a node of the
    top document, or of block definition ``block``); ``bypass`` among them when it may be skipped."""
    found = {}
    space = search.get("space", {}) if isinstance(search, dict) else {}
    for name, raw in space.items():
        for text in raw.get("targets", ()) if isinstance(raw, dict) else ():
            try:
                target = parse_target(text)
            except ValueError:
                continue
            if target.training_path is None and target.block == block and target.node == node_id:
                found[target.param] = name
    return found


def renamed_targets(search: dict, old: str, new: str, block: str | None = None) -> dict:
    """``search`` with every target of node ``old`` (of the top document, or of block
    definition ``block``) now naming ``new``."""
    return _rewritten(search, lambda t: f"{_prefix(block)}{new}.{t.param}"
                      if t.block == block and t.node == old else None)


def renamed_block(search: dict, old: str, new: str) -> dict:
    """``search`` with every ``old/<node>.<param>`` target now ``new/<node>.<param>``."""
    return _rewritten(search, lambda t: f"{new}/{t.node}.{t.param}" if t.block == old else None)


def _prefix(block: str | None) -> str:
    return "" if block is None else f"{block}/"


def _rewritten(search: dict, rewrite) -> dict:
    """``search`` with each node target ``rewrite`` gives a new text for replaced by it."""
    if not isinstance(search, dict) or not search.get("space"):
        return search
    out = copy.deepcopy(search)
    for raw in out["space"].values():
        if isinstance(raw, dict) and isinstance(raw.get("targets"), list):
            raw["targets"] = [_rewrite_one(text, rewrite) for text in raw["targets"]]
    return out


def _rewrite_one(text: Any, rewrite) -> Any:
    try:
        target = parse_target(text)
    except ValueError:
        return text
    if target.training_path is not None:
        return text
    return rewrite(target) or text


def apply_values(doc, values: dict[str, Any]):
    """A copy of ``doc`` with each variable's value written into its targets.

    Node parameters are validated as the inspector would (a :class:`ParamError`
    names ``<node>.<param>``); training settings are written as given, and the
    caller reads them with its own validation. The copy keeps its search section,
    so a trial's graph can be saved and searched again.
    """
    space = read_space(doc.search)
    twin = doc.copy()
    training = copy.deepcopy(twin.training)
    skipped = []
    for name, value in values.items():
        variable = space.variables.get(name)
        if variable is None:
            raise ParamError(name, f"no variable {name!r} in the search space")
        for text in variable.targets:
            target = parse_target(text)
            if target.training_path is not None:
                _set_path(training, target.training_path, value)
                continue
            owner = owner_of(twin, target)
            if owner is None or target.node not in owner.nodes:
                raise ParamError(text, "names no node in the graph")
            if target.param == BYPASS:
                if not isinstance(value, bool):
                    raise ParamError(text, f"expected true or false, got {value!r}")
                if value:
                    skipped.append((owner, target))
                continue
            node = owner.nodes[target.node]
            spec = spec_in(owner, node.type)
            param = spec.param(target.param) if spec is not None else None
            if param is None:
                raise ParamError(text, f"{node.type} '{target.node}' has no parameter {target.param!r}")
            try:
                node.params[target.param] = param.validate(value)
            except ParamError as err:
                raise ParamError(text, err.detail) from None
    for owner, target in skipped:  # after every parameter: a variable may set a node's p and skip it
        if target.node in owner.nodes:  # two variables may skip one node
            skip_node(owner, target.node, target.text)
    twin.training = training
    if skipped:
        twin.search = prune_targets(twin.search, twin)
    return twin


def bypass_problems(doc, report, path: str = "search") -> list[str]:
    """Each ``<node>.bypass`` target of ``doc.search`` whose node cannot be skipped
    (:func:`~.search_bypass.why_not_bypassed`; shapes from ``report``, a shape report of ``doc``)."""
    problems = []
    for name, raw in (doc.search.get("space") or {}).items():
        for i, text in enumerate(raw.get("targets", ())):
            target = parse_target(text)
            owner = owner_of(doc, target)
            if target.param != BYPASS or target.training_path is not None or owner is None \
                    or target.node not in owner.nodes:
                continue
            info = report.nodes.get(target.node) if report is not None and target.block is None else None
            reason = why_not_bypassed(owner, target.node, info)
            if reason:
                problems.append(f"{path}.space.{name}.targets[{i}]: {reason}")
    return problems


def prune_targets(search: dict, doc) -> dict:
    """``search`` less every node target whose node (or block) is not in ``doc``, or whose
    node no longer has that parameter (a block's declared parameter removed); a variable
    left without targets goes too. Deleting nodes calls it, so a saved file never names a
    node it lacks."""
    space = search.get("space") if isinstance(search, dict) else None
    if not space:
        return search
    out = copy.deepcopy(search)
    for name, raw in space.items():
        kept = [text for text in raw.get("targets", ()) if _present(doc, text)]
        if kept:
            out["space"][name]["targets"] = kept
        else:
            del out["space"][name]
    if not out["space"] and set(out) <= {"space"}:
        return {}
    return out


def _present(doc, text: str) -> bool:
    try:
        target = parse_target(text)
    except ValueError:
        return True  # not a node's: kept for validation to name
    if target.training_path is not None:
        return True
    owner = owner_of(doc, target)
    if owner is None or target.node not in owner.nodes:
        return False
    spec = spec_in(owner, owner.nodes[target.node].type)
    return target.param == BYPASS or spec is None or spec.param(target.param) is not None


def _set_path(tree: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for key in parents:
        child = tree.get(key)
        if not isinstance(child, dict):
            child = tree[key] = {}
        tree = child
    tree[leaf] = value
