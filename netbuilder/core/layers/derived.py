"""Node types derived from ``torch.nn`` itself, for every layer nobody wrote a spec for.

A hand-written spec (``basic``, ``convolution``…) adds what torch cannot tell us:
fast shape rules, MACs, choice lists, messages. Every other public layer class
of ``torch.nn`` becomes a node type here, from the plain-data description that
:mod:`.torch_nn` read off the class. Shapes, parameter counts and argument
errors come from the meta-device oracle, as for any spec without a ``rule``.

This module does not import torch: the descriptions are read from
``torch_nn.json``, saved with netbuilder for the torch it was written for, so
the palette lists every layer while torch still loads. With another torch
installed, they are read off torch.nn at import instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

from ..params import ParamSpec
from .basic import normalized_shape_args
from .spec import Construct, Emit, LayerSpec, TokenIds

CATALOGUE = Path(__file__).with_name("torch_nn.json")

#: Sizes that follow from the input: argument name → value from the input types.
INFERRED: dict[str, Callable] = {
    "in_channels": lambda ins: ins[0].shape[0],
    "num_features": lambda ins: ins[0].shape[0],
    "num_channels": lambda ins: ins[0].shape[0],
    "in_features": lambda ins: ins[0].shape[-1],
    "in1_features": lambda ins: ins[0].shape[-1],
    "in2_features": lambda ins: ins[1].shape[-1],
    "input_size": lambda ins: ins[0].shape[-1],
    "embed_dim": lambda ins: ins[0].shape[-1],
    "d_model": lambda ins: ins[0].shape[-1],
}

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_BATCH_FIRST = (("batch_first", True),)  # every tensor in netbuilder is (N, …)


def installed_torch() -> str:
    """The installed torch's version, read from its ``version.py`` without importing torch
    (seconds) or ``importlib.metadata`` (60 ms of imports)."""
    text = Path(find_spec("torch").origin).with_name("version.py").read_text(encoding="utf-8")
    return re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", text, re.M).group(1)


def saved_descriptions() -> list[dict] | None:
    """The saved descriptions, or ``None`` if they are not of the installed torch
    (then :func:`.torch_nn.catalogue` reads them off torch.nn, importing torch)."""
    saved = json.loads(CATALOGUE.read_text(encoding="utf-8")) if CATALOGUE.is_file() else {}
    return saved["layers"] if saved.get("torch") == installed_torch() else None


def _call(e: Emit) -> list[str]:
    """``out = self.layer(x0, x1)``, or ``h, c = …`` for a layer returning a tuple."""
    return [f"{', '.join(e.outs)} = {e.mod}({', '.join(e.ins)})"]


def _param(data: dict) -> ParamSpec:
    return ParamSpec(**{**data, "choices": tuple(data["choices"])})


def _infer_args(description: dict):
    inferred, normalized = description["inferred"], description["normalized_shape"]
    if not inferred and not normalized:
        return None

    def infer_args(params, inputs):
        args = {name: INFERRED[name](inputs) for name in inferred}
        return {**normalized_shape_args(params, inputs), **args} if normalized else args
    return infer_args


def _stack(wraps: dict):
    """``creates`` of a stack such as TransformerEncoder: the layer it repeats is built
    inside its constructor call from the node's parameters that are not its own."""
    own, layer_fixed = set(wraps["own"]), dict(_BATCH_FIRST) if wraps["batch_first"] else {}

    def creates(kwargs) -> Construct:
        layer = Construct(f"nn.{wraps['layer']}", kwargs={**{k: v for k, v in kwargs.items() if k not in own},
                                                          **layer_fixed})
        return Construct(f"nn.{wraps['type']}", kwargs={wraps["argument"]: layer,
                                                       **{k: v for k, v in kwargs.items() if k in own}})
    return creates


def spec_from(description: dict) -> LayerSpec:
    """The node type a description stands for."""
    dims, wraps, lookup = description["dims"], description["wraps"], description["lookup"]
    return LayerSpec(
        description["type"], description["category"], description["doc"],
        params=tuple(_param(p) for p in description["params"]), torch_class=description["type"],
        min_inputs=description["inputs"], max_inputs=description["inputs"], outputs=tuple(description["outputs"]),
        ranks=(dims + 2,) if dims else None, expects=_LAYOUT.get(dims, ""), infer_args=_infer_args(description),
        fixed_args=_BATCH_FIRST if description["batch_first"] else (), emit=_call,
        creates=_stack({**wraps, "type": description["type"]}) if wraps else None,
        token_ids=TokenIds.REQUIRED if lookup else TokenIds.REFUSED, vocabulary="num_embeddings" if lookup else None,
    )


def derived_specs(descriptions: list[dict], written: set[str]) -> list[LayerSpec]:
    """A spec for every described layer class of ``torch.nn`` not in ``written``."""
    return [spec_from(d) for d in descriptions if d["type"] not in written]
