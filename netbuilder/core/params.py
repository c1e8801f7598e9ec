"""Typed parameter specifications of layers.

A :class:`ParamSpec` is data: the inspector builds its editors from it, the file
loader validates with it and the code generator renders values it has
normalised. Values are always plain JSON types (int, float, bool, str, lists of
ints, ``None``), so documents stay picklable and diffable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .errors import ParamError

INT = "int"
FLOAT = "float"
FLOAT32_MAX = 3.4028234663852886e38
BOOL = "bool"
CHOICE = "choice"
INTS = "ints"  # an int or a tuple of ints (kernel_size=3 or (3, 5))
SHAPE = "shape"  # a list of positive ints (Input.shape, Reshape.shape)
DIMS = "dims"  # a list of ints that may be negative (Permute.dims)
STR = "str"  # free text (a block parameter of kind str)

KINDS = (INT, FLOAT, BOOL, CHOICE, INTS, SHAPE, DIMS, STR)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


@dataclass(frozen=True)
class ParamSpec:
    """One constructor argument of a layer.

    ``torch`` is False for netbuilder's own parameters (``Input.shape``, the
    RNN ``output`` choice) that are not passed to the torch constructor.
    ``length`` is the tuple length an ``INTS`` value expands to (2 for
    ``Conv2d.kernel_size``, 1 for ``Conv1d``); a single int is accepted and
    kept as an int, and a tuple of equal items is stored as that one int.
    ``key`` parameters show on the node on the canvas. ``port`` is the output
    port a parameter only shapes (the RNN ``output`` choice shapes port 0):
    while that port feeds nothing its value changes neither the model nor its
    code (see :meth:`GraphDocument.idle_params`).
    """

    name: str
    kind: str
    default: Any = None
    doc: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    length: int | None = None
    optional: bool = False
    required: bool = False
    torch: bool = True
    key: bool = False
    port: int | None = None
    above: bool = False  # ``minimum`` itself is refused (an ``eps`` of 0 divides by zero)
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown param kind {self.kind!r}")

    # -- validation ---------------------------------------------------------
    def validate(self, value: Any) -> Any:
        """Return ``value`` normalised, or raise :class:`ParamError`."""
        if value is None:
            if self.optional:
                return None
            raise ParamError(self.name, f"expected {self.expected()}, got null")
        check = getattr(self, f"_check_{self.kind}")
        return check(value)

    def expected(self) -> str:
        """Plain words for what this parameter accepts, used in messages."""
        if self.kind == INT:
            return "an integer" + self._range_text()
        if self.kind == FLOAT:
            return "a number" + self._range_text()
        if self.kind == BOOL:
            return "true or false"
        if self.kind == CHOICE:
            return "one of " + ", ".join(_describe(c) for c in self.choices)
        if self.kind == INTS:
            sign = {1: "positive ", 0: "non-negative "}.get(self.minimum, "")
            if self.length == 1:
                return f"a {sign}int"
            what = {2: "pair", 3: "triple"}.get(self.length or 0, "tuple")
            return f"a {sign}int or {what}"
        if self.kind == SHAPE:
            return "a list of positive integers"
        if self.kind == STR:
            return "a string"
        return "a list of integers"

    def _range_text(self) -> str:
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return f" in {'(' if self.above else '['}{lo:g}, {hi:g}]"
        if lo is not None:
            return f" {'>' if self.above else '≥'} {lo:g}"
        if hi is not None:
            return f" ≤ {hi:g}"
        return ""

    def _fail(self, value: Any):
        raise ParamError(self.name, f"expected {self.expected()}, got {_describe(value)}")

    def _in_range(self, value: float) -> bool:
        if self.minimum is not None and (value < self.minimum or (self.above and value == self.minimum)):
            return False
        return self.maximum is None or value <= self.maximum

    def _check_int(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self._fail(value)
        if not self._in_range(value):
            self._fail(value)
        return value

    def _check_float(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._fail(value)
        value = float(value)
        if not math.isfinite(value) or not self._in_range(value):
            self._fail(value)
        if abs(value) > FLOAT32_MAX:  # layers compute in float32: torch would overflow in forward
            raise ParamError(self.name, f"{value:g} is too large: layers compute in float32, which holds at most "
                                        f"{FLOAT32_MAX:.3g}")
        return value

    def _check_bool(self, value):
        if not isinstance(value, bool):
            self._fail(value)
        return value

    def _check_choice(self, value):
        if value not in self.choices or isinstance(value, bool) != any(
            isinstance(c, bool) and c == value for c in self.choices
        ):
            self._fail(value)
        return value

    def _check_ints(self, value):
        if isinstance(value, (list, tuple)):
            if self.length is not None and len(value) != self.length:
                self._fail(value)
            items = [self._int_item(value, v) for v in value]
            if not items:
                self._fail(value)
            if len(set(items)) == 1 and self.length is not None:
                return items[0]  # (3, 3) is stored as 3: shorter files, same module
            return items
        return self._int_item(value, value)

    def _int_item(self, whole, item):
        if isinstance(item, bool) or not isinstance(item, int) or not self._in_range(item):
            if isinstance(item, int) and self.maximum is not None and item > self.maximum:
                raise ParamError(self.name, f"expected at most {self.maximum:,}, the largest size torch takes, "
                                            f"got {_describe(whole)}")
            self._fail(whole)
        return item

    def _check_str(self, value):
        if not isinstance(value, str):
            self._fail(value)
        return value

    def _check_shape(self, value):
        if not isinstance(value, (list, tuple)) or not value:
            self._fail(value)
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or item < 1:
                self._fail(value)
        return list(value)

    def _check_dims(self, value):
        if not isinstance(value, (list, tuple)) or not value:
            self._fail(value)
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int):
                self._fail(value)
        return list(value)


# -- short constructors used by the layer library ---------------------------
def Int(name, default=None, doc="", minimum=None, maximum=None, **kw) -> ParamSpec:
    return ParamSpec(name, INT, default, doc, minimum, maximum, **kw)


def Float(name, default=None, doc="", minimum=None, maximum=None, **kw) -> ParamSpec:
    return ParamSpec(name, FLOAT, default, doc, minimum, maximum, **kw)


def Bool(name, default=False, doc="", **kw) -> ParamSpec:
    return ParamSpec(name, BOOL, default, doc, **kw)


def Choice(name, choices, default=None, doc="", **kw) -> ParamSpec:
    default = choices[0] if default is None else default
    return ParamSpec(name, CHOICE, default, doc, choices=tuple(choices), **kw)


#: torch hands window sizes (kernel, stride, padding…) to its kernels as 32-bit ints
#: and refuses larger ones only when the model runs.
WINDOW_MAX = 2**31 - 1


def Ints(name, default=None, doc="", length=2, minimum=1, maximum=WINDOW_MAX, **kw) -> ParamSpec:
    return ParamSpec(name, INTS, default, doc, minimum=minimum, maximum=maximum, length=length, **kw)


def Shape(name, default=None, doc="", **kw) -> ParamSpec:
    return ParamSpec(name, SHAPE, default, doc, **kw)


def Dims(name, default=None, doc="", **kw) -> ParamSpec:
    return ParamSpec(name, DIMS, default, doc, **kw)
