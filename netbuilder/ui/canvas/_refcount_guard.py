"""Keep ``None``, ``True`` and ``False`` alive under PySide6 6.12 on Python 3.11.

The PySide6 6.12 abi3 wheels drop a reference to ``None`` on every call of a
C++ method that returns nothing (``painter.setPen``, ``item.setPos`` …) and
to ``True``/``False`` in some signal paths; they rely on those objects being
immortal, as they are from Python 3.12 on (PEP 683). On 3.11 ``None`` starts
with a few thousand references, so painting a canvas crashes the interpreter
within seconds ("none_dealloc: deallocating None"). Giving the three
singletons a practically endless reference count is exactly what 3.12 does.
"""

from __future__ import annotations

import ctypes
import sys

_PLENTY = 1 << 48


def make_singletons_immortal() -> None:
    if sys.version_info >= (3, 12) or not hasattr(sys, "getrefcount"):
        return
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt is a PyObject's first field
        if refcount.value < _PLENTY:
            refcount.value += _PLENTY
