"""Loading a model class from the user's own ``.py`` file (run knowingly) and making example inputs.

Shared by ``netbuilder import`` and the GUI's import dialog. Running the file
executes the user's code, exactly as ``python FILE.py`` would import it; the
commands that call this say so in their help.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

from ..core.errors import NetbuilderError
from ..core.tokens import module_vocabulary

_DTYPES = {"float32": torch.float32, "int64": torch.int64}


def split_source(text: str) -> tuple[Path, str]:
    """``models/net.py:Net`` → (path, class name); the colon is the last one (Windows drives)."""
    path, sep, class_name = text.rpartition(":")
    if not sep or not path or not class_name.isidentifier():
        raise NetbuilderError(f"expected FILE.py:ClassName, got {text!r}")
    return Path(path), class_name


def run_file(path: Path) -> ModuleType:
    """Execute the file as a module; its folder is importable while it runs."""
    if not path.is_file():
        raise NetbuilderError(f"{path}: no such file")
    name = f"netbuilder_user_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise NetbuilderError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename) == path.resolve()]
        where = f" at line {frames[-1].lineno}" if frames else ""
        raise NetbuilderError(f"{path}: running the file failed{where}: {type(err).__name__}: {err}") from err
    finally:
        sys.path.remove(str(path.parent.resolve()))
    return module


def model_classes(module: ModuleType) -> list[str]:
    """Names of the ``nn.Module`` classes defined in the file (for a chooser)."""
    return [name for name, value in vars(module).items()
            if inspect.isclass(value) and issubclass(value, nn.Module) and value.__module__ == module.__name__]


def instantiate(module: ModuleType, class_name: str) -> nn.Module:
    """``ClassName()``; a class that needs arguments gets a message saying which."""
    cls = getattr(module, class_name, None)
    if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
        found = ", ".join(model_classes(module)) or "none"
        raise NetbuilderError(f"{module.__file__} has no nn.Module class {class_name!r} (found: {found})")
    needed = [p.name for p in inspect.signature(cls).parameters.values()
              if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if needed:
        raise NetbuilderError(f"{class_name}() needs arguments ({', '.join(needed)}); give them defaults, or "
                              f"add a subclass whose __init__ takes none")
    try:
        return cls()
    except Exception as err:
        raise NetbuilderError(f"{class_name}() failed: {type(err).__name__}: {err}") from err


def parse_shape(text: str) -> list[int]:
    """``1,28,28`` → [1, 28, 28]: the shape of one sample, without the batch."""
    try:
        shape = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        shape = []
    if not shape or any(size < 1 for size in shape):
        raise NetbuilderError(f"--input-shape: expected positive integers separated by commas, got {text!r}")
    return shape


def parse_input(text: str, default_dtype: str) -> tuple[list[int], str]:
    """``7:int64`` → ([7], "int64"); ``1,28,28`` → ([1, 28, 28], default_dtype)."""
    shape, _, dtype = text.partition(":")
    dtype = dtype.strip() or default_dtype
    if dtype not in _DTYPES:
        raise NetbuilderError(f"--input-shape {text!r}: the dtype after ':' must be one of {', '.join(_DTYPES)}")
    return parse_shape(shape), dtype


def example_input(model: nn.Module, shape: list[int], dtype: str, batch: int = 2) -> torch.Tensor:
    """A random batch; int64 token ids stay below every lookup's vocabulary."""
    generator = torch.Generator().manual_seed(0)
    if dtype == "int64":
        return torch.randint(0, module_vocabulary(model), (batch, *shape), generator=generator)
    return torch.randn((batch, *shape), generator=generator, dtype=_DTYPES[dtype])


def forward_arguments(model: nn.Module, tensors: tuple[torch.Tensor, ...]) -> tuple:
    """The example tensors as ``forward``'s arguments: when there are more tensors than
    arguments, the last argument takes the rest as a tuple (``forward(self, input, hidden)``
    given tokens, h0 and c0 gets ``(tokens, (h0, c0))``)."""
    params = [p for p in inspect.signature(model.forward).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(model.forward).parameters.values()):
        return tensors
    count = len(params)
    if count == 0 or len(tensors) <= count:
        return tensors
    return (*tensors[:count - 1], tuple(tensors[count - 1:]))
