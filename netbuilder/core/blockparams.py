"""A block's declared parameters and the ``"$name"`` references to them.

A block definition declares parameters (``{"channels": {"kind": "int",
"default": 64, "minimum": 1}}``); an inner node's parameter value
``"$channels"`` stands for the instance's value of it. This module turns
declarations into :class:`~netbuilder.core.params.ParamSpec` (so an
instance's parameters are validated like any layer's), checks references
against them, and substitutes an instance's arguments for them.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from .errors import ParamError
from .params import BOOL, CHOICE, FLOAT, INT, STR, ParamSpec

#: Declared kinds and the parameter kinds they are checked as.
DECLARED_KINDS = {"int": INT, "float": FLOAT, "bool": BOOL, "str": STR, "choice": CHOICE}
REPEAT = "repeat"  # the parameter every one-in, one-out instance has besides the declared ones
MAX_REPEAT = 1000
_REFERENCE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_FIELDS = ("kind", "default", "minimum", "maximum", "choices", "doc")


def reference(value: Any) -> str | None:
    """The parameter name ``value`` refers to (``"$channels"`` → ``channels``), else None."""
    if type(value) is str and value[:1] == "$":
        match = _REFERENCE.fullmatch(value)
        return match.group(1) if match else None
    return None


def has_references(params: dict[str, Any]) -> bool:
    return any(type(v) is str and v[:1] == "$" for v in params.values())


def declared_spec(name: str, raw: Any, path: str) -> ParamSpec:
    """The :class:`ParamSpec` of one declared parameter; :class:`ParamError` naming ``path`` if malformed."""
    if not (isinstance(name, str) and name.isidentifier() and name.isascii()) or keyword.iskeyword(name) \
            or name in (REPEAT, "self") or name.startswith("_"):
        raise ParamError(path, f"{name!r} cannot name a parameter: give a Python identifier other than "
                         f"{REPEAT!r} and 'self', not starting with '_'")
    if not isinstance(raw, dict):
        raise ParamError(path, f"expected an object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise ParamError(f"{path}.{unknown[0]}", f"unknown field (known: {', '.join(_FIELDS)})")
    kind = DECLARED_KINDS.get(raw.get("kind"))
    if kind is None:
        raise ParamError(f"{path}.kind", f"expected one of {', '.join(DECLARED_KINDS)}, got {raw.get('kind')!r}")
    bounds = {}
    for bound in ("minimum", "maximum"):
        value = raw.get(bound)
        if value is not None and (kind not in (INT, FLOAT) or isinstance(value, bool)
                                  or not isinstance(value, (int, float))):
            raise ParamError(f"{path}.{bound}", f"expected a number on an int or float parameter, got {value!r}")
        bounds[bound] = value
    choices = raw.get("choices", ())
    if kind == CHOICE and (not isinstance(choices, list) or not choices
                           or not all(isinstance(c, (str, int, float, bool)) for c in choices)):
        raise ParamError(f"{path}.choices", f"expected a non-empty list of values, got {choices!r}")
    doc = raw.get("doc", "")
    if not isinstance(doc, str):
        raise ParamError(f"{path}.doc", f"expected a string, got {doc!r}")
    if "default" not in raw:
        raise ParamError(f"{path}.default", "missing: every parameter needs a default")
    spec = ParamSpec(name, kind, None, doc, bounds["minimum"], bounds["maximum"],
                     choices=tuple(choices) if kind == CHOICE else ())
    try:
        default = spec.validate(raw["default"])
    except ParamError as err:
        raise ParamError(f"{path}.default", err.detail) from None
    return ParamSpec(name, kind, default, doc, spec.minimum, spec.maximum, choices=spec.choices)


def declaration(spec: ParamSpec) -> dict[str, Any]:
    """The file form of a declared parameter (inverse of :func:`declared_spec`)."""
    kind = next(k for k, v in DECLARED_KINDS.items() if v == spec.kind)
    out: dict[str, Any] = {"kind": kind, "default": spec.default}
    if spec.minimum is not None:
        out["minimum"] = spec.minimum
    if spec.maximum is not None:
        out["maximum"] = spec.maximum
    if spec.choices:
        out["choices"] = list(spec.choices)
    if spec.doc:
        out["doc"] = spec.doc
    return out


def repeat_spec() -> ParamSpec:
    return ParamSpec(REPEAT, INT, 1, "How many copies run one after another (an nn.Sequential).",
                     minimum=1, maximum=MAX_REPEAT, torch=False)


def validate_in_scope(spec, params: Any, declared: dict[str, ParamSpec], owner: str, path: str = "params",
                      strict: bool = False, node_id: str | None = None) -> dict[str, Any]:
    """``spec.validate_params`` for a node of a document that declares ``declared``
    parameters (a block definition; ``owner`` names it in messages).

    A value ``"$name"`` must refer to a declared parameter whose default the field
    accepts; it is kept as it is. A node with references is not normalised (its
    normal form depends on the values the references take; see :func:`resolve`).
    """
    if not isinstance(params, dict) or not has_references(params):
        return spec.validate_params(params, path, strict)
    unknown = sorted(set(params) - {p.name for p in spec.params})
    if unknown:
        return spec.validate_params(params, path, strict)  # raises, naming the unknown field
    clean = {}
    for field in spec.params:
        where = f"{path}.{field.name}"
        if field.name not in params:
            if field.required and strict:
                raise ParamError(where, f"required by {spec.type}, missing")
            clean[field.name] = field.default
            continue
        value = params[field.name]
        name = reference(value)
        if name is None:
            try:
                clean[field.name] = field.validate(value)
            except ParamError as err:
                raise ParamError(where, err.detail) from None
            continue
        if name not in declared:
            known = ", ".join(declared) or "none"
            who = f"node {node_id!r}" if node_id is not None else "it"
            raise ParamError(where, f"{who} refers to ${name}, which {owner} does not declare (declared: {known})")
        try:
            field.validate(declared[name].default)
        except ParamError as err:
            raise ParamError(where, f"${name} cannot set it, its default does not fit: {err.detail}") from None
        clean[field.name] = value
    return clean


def resolve(params: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """``params`` with every reference replaced by its value in ``args``."""
    return {k: (args[name] if (name := reference(v)) is not None else v) for k, v in params.items()}
