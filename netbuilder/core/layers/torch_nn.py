"""Reading ``torch.nn``: what each public layer class is, as plain data.

Every public layer class is described from the class itself: its constructor
signature gives the parameters (kinds from the annotations and defaults, docs
from the docstring's ``Args:`` list), its module path the category, its
docstring's first sentence the description, its ``forward`` signature the input
ports. Sizes that follow from the input (``in_channels``, ``num_features``,
``in_features``…) are named to be inferred, never asked for. The descriptions
are saved with netbuilder (``torch_nn.json``) because importing torch costs
seconds and the window shows before it loads; :mod:`.derived` turns them into
specs. After a torch upgrade, regenerate the file (a test says when):

    python -m netbuilder.core.layers.torch_nn
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from dataclasses import asdict

from torch import nn

from ..params import Bool, Choice, Float, Int, Ints, ParamSpec
from .basic import NORMALIZED_DIMS
from .derived import CATALOGUE, INFERRED, installed_torch

#: ``torch.nn.modules`` file → palette category.
CATEGORY_OF_MODULE = {
    "conv": "Convolution", "pooling": "Pooling", "upsampling": "Pooling", "padding": "Padding",
    "batchnorm": "Normalization", "instancenorm": "Normalization", "normalization": "Normalization",
    "activation": "Activation", "dropout": "Regularization", "linear": "Core", "sparse": "Recurrent",
    "rnn": "Recurrent", "transformer": "Attention", "distance": "Merge", "pixelshuffle": "Reshape",
    "channelshuffle": "Reshape", "fold": "Reshape", "flatten": "Reshape",
}

#: Whole groups of ``torch.nn`` that are not layers of a graph, with the reason.
EXCLUDED_MODULES = {
    "loss": "a loss is a training setting, not a layer",
    "container": "containers are what a graph (or a block) already is",
    "module": "the base class of every layer",
    "adaptive": "AdaptiveLogSoftmaxWithLoss needs the targets and returns a loss: a training setting",
}

#: Single classes left out, with the reason (also: every ``Lazy*`` twin, see :func:`exclusion`).
EXCLUDED = {
    "SyncBatchNorm": "multi-process BatchNorm: use BatchNorm; netbuilder trains in one process",
    "RNNBase": "abstract base of RNN, LSTM and GRU",
    "RNNCellBase": "abstract base of the cells",
}


def exclusion(cls: type) -> str | None:
    """Why ``cls`` is no node type, or ``None`` if it must be one."""
    if cls.__name__.startswith("Lazy"):
        return "Lazy twin: netbuilder infers in_* sizes from the input already"
    return EXCLUDED.get(cls.__name__) or EXCLUDED_MODULES.get(_module_file(cls))


def layer_classes() -> list[type]:
    """Every public module class ``torch.nn`` exports, in name order."""
    found = []
    for name in sorted(dir(nn)):
        value = getattr(nn, name)
        if inspect.isclass(value) and issubclass(value, nn.Module) and value.__module__.startswith("torch.nn.modules."):
            found.append(value)
    return found


def _module_file(cls: type) -> str:
    return cls.__module__.rsplit(".", 1)[-1]


# -- what the signature cannot say ------------------------------------------------
#: Constructor arguments never shown: placement, in-place tricks (unsafe where a
#: value feeds two nodes), extra outputs, deprecated ones, and what netbuilder fixes.
_HIDDEN = {"device", "dtype", "inplace", "return_indices", "size_average", "reduce", "batch_first", "process_group"}

#: The values a string argument takes (torch checks them in code, not in types).
_CHOICES = {
    "padding_mode": ("zeros", "reflect", "replicate", "circular"),
    "nonlinearity": ("tanh", "relu"),
    "activation": ("relu", "gelu"),
    "mode": ("mean", "sum", "max"),
}

#: Starting values of required arguments, so a node dropped from the palette works.
_STARTING = {
    "out_features": 16, "out_channels": 16, "kernel_size": 2, "hidden_size": 32, "num_embeddings": 100,
    "embedding_dim": 32, "nhead": 2, "upscale_factor": 2, "downscale_factor": 2, "groups": 2, "size": 2,
    "norm_type": 2.0, "output_size": 1, "padding": 1, "threshold": 0.0, "value": 0.0,
}

#: Descriptions of the few classes without a docstring.
_UNDOCUMENTED = {"CrossMapLRN2d": "Local response normalisation across channels (the older form of LocalResponseNorm)."}

#: Output ports of layers returning a tuple.
_OUTPUTS = {"LSTMCell": ("h", "c")}

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_AT_LEAST_ZERO = {"padding", "output_padding"}


def _spatial_dims(cls: type) -> int | None:
    match = re.search(r"(\d)d$", cls.__name__)
    return int(match.group(1)) if match else None


def _tuple_length(annotation, dims: int | None) -> int | None:
    """2 for ``int | tuple[int, int]``; the class's spatial dims for ``tuple[int, ...]``."""
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is tuple:
            items = typing.get_args(arg)
            return dims if Ellipsis in items else len(items)
    return dims


def _plain(text: str) -> str:
    """reStructuredText in plain words: ``:math:`x``` → ``x``, ``Default: ...`` dropped."""
    text = re.sub(r":\w+:`~?([^`]*)`", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


_ARGUMENT = re.compile(r"^\s+(\w+)(?: \([^)]*\))?: (.*)$")


def _argument_docs(cls: type) -> dict[str, str]:
    """Each argument's description from the docstring's ``Args:`` list, first sentence only."""
    docs: dict[str, list[str]] = {}
    current = None
    for line in (cls.__doc__ or "").splitlines():
        match = _ARGUMENT.match(line)
        if match:
            current = match.group(1)
            docs[current] = [match.group(2)]
        elif current and line.strip() and not line.strip().endswith(":"):
            docs[current].append(line.strip())
        else:
            current = None
    return {name: _first_sentence(_plain(" ".join(words))) for name, words in docs.items()}


def _first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[a-z0-9)])\. ", text.split(" Default:")[0], maxsplit=1)[0].rstrip(".")
    return sentence[:1].upper() + sentence[1:] + "." if sentence else ""


def _param(cls: type, p: inspect.Parameter, doc: str) -> ParamSpec | None:
    """The :class:`ParamSpec` of one constructor argument, or ``None`` if it is not shown."""
    required = p.default is inspect.Parameter.empty
    default = _STARTING.get(p.name, 1) if required else p.default
    text = str(p.annotation)
    optional = not required and p.default is None
    common = {"doc": doc or p.name.replace("_", " ").capitalize() + ".", "required": required, "optional": optional}
    if isinstance(default, bool):
        return Bool(p.name, default, common["doc"])
    if isinstance(default, str):
        return Choice(p.name, _CHOICES.get(p.name, (default,)), default=default, doc=common["doc"])
    if any(word in text for word in ("Tensor", "Callable", "Module", "Size")) and "int" not in text:
        return None
    if "tuple[int" in text or isinstance(default, tuple):
        length = len(default) if isinstance(default, tuple) else _tuple_length(p.annotation, _spatial_dims(cls))
        if isinstance(default, tuple) and len(set(default)) == 1:
            default = default[0]
        minimum = 0 if p.name in _AT_LEAST_ZERO else 1
        return Ints(p.name, default, length=length, minimum=minimum, **common)
    if "float" in text or isinstance(default, float):
        return Float(p.name, None if optional else float(default), **common)
    if "int" in text or isinstance(default, int):
        return Int(p.name, default, **common)
    return None


def _doc(cls: type) -> str:
    """The docstring's first sentence, in plain words (the palette's tooltip)."""
    if cls.__name__ in _UNDOCUMENTED:
        return _UNDOCUMENTED[cls.__name__]
    paragraph = (cls.__doc__ or cls.__name__).strip().split("\n\n")[0]
    return _first_sentence(_plain(paragraph))


def _inputs(cls: type) -> int:
    """Required tensor arguments of ``forward``: the input ports."""
    forward = inspect.signature(cls.forward).parameters.values()
    return sum(1 for p in forward if p.name != "self" and p.default is inspect.Parameter.empty
               and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _arguments(cls: type) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and not p.name.startswith("_") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _wrapped_layer(cls: type) -> tuple[str, type] | None:
    """``("encoder_layer", TransformerEncoderLayer)`` for a class built around a layer it is given."""
    for p in _arguments(cls):
        if isinstance(p.annotation, str) and inspect.isclass(getattr(nn, p.annotation, None)):
            return p.name, getattr(nn, p.annotation)
    return None


def _param_data(spec: ParamSpec) -> dict:
    data = asdict(spec)
    del data["extra"], data["key"], data["port"]
    data["choices"] = list(spec.choices)
    return data


def describe(cls: type) -> dict:
    """What the node type of ``cls`` is, as JSON-ready data (see :func:`.derived.spec_from`)."""
    wrapped = _wrapped_layer(cls)
    arguments = [p for p in _arguments(cls) if wrapped is None or p.name != wrapped[0]]
    names = {p.name for p in _arguments(cls)}
    docs = _argument_docs(cls)
    params = [spec for p in arguments if p.name not in _HIDDEN and p.name not in INFERRED
              and p.name != "normalized_shape" and (spec := _param(cls, p, docs.get(p.name, ""))) is not None]
    if "normalized_shape" in names:
        params.insert(0, NORMALIZED_DIMS)
    description = {
        "type": cls.__name__, "category": CATEGORY_OF_MODULE[_module_file(cls)], "doc": _doc(cls),
        "params": [_param_data(p) for p in params], "inputs": _inputs(cls),
        "outputs": list(_OUTPUTS.get(cls.__name__, ("out",))), "dims": _spatial_dims(cls),
        "inferred": [n for n in INFERRED if n in names], "normalized_shape": "normalized_shape" in names,
        "batch_first": "batch_first" in names, "lookup": "num_embeddings" in names, "wraps": None,
    }
    if wrapped is not None:
        layer = describe(wrapped[1])
        description["wraps"] = {"argument": wrapped[0], "layer": layer["type"], "own": sorted(names),
                                "batch_first": layer["batch_first"]}
        description["params"] = layer["params"] + description["params"]
        description["inferred"] = layer["inferred"]
    return description


def catalogue() -> dict:
    """Every layer class that is to be a node type, described, with the torch version read."""
    return {"torch": installed_torch(),
            "layers": [describe(cls) for cls in layer_classes() if exclusion(cls) is None]}


def main() -> None:
    """Write ``torch_nn.json``: one layer a line, so an upgrade of torch reads as a short diff."""
    data = catalogue()
    layers = ",\n".join(json.dumps(layer) for layer in data["layers"])
    CATALOGUE.write_text(f'{{"torch": {json.dumps(data["torch"])}, "layers": [\n{layers}\n]}}\n', encoding="utf-8")
    print(f"wrote {CATALOGUE}")


if __name__ == "__main__":
    main()
