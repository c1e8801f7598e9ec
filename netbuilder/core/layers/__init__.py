"""The layer library: every node type netbuilder knows, by name.

Layer modules register their specs on import; :func:`get_spec` is the one way
in. Categories keep the palette order below.
"""

from __future__ import annotations

from ..errors import EditError
from .spec import Construct, Emit, LayerSpec, Role, TensorType, TokenIds, call_module

__all__ = ["CATEGORIES", "Construct", "Emit", "LayerSpec", "Role", "TensorType", "TokenIds", "all_specs", "call_module",
           "get_spec", "has_spec", "register"]

CATEGORIES = (
    "Input/Output",
    "Core",
    "Convolution",
    "Pooling",
    "Padding",
    "Normalization",
    "Regularization",
    "Activation",
    "Reshape",
    "Recurrent",
    "Attention",
    "Merge",
    "Tensor ops",
)

_REGISTRY: dict[str, LayerSpec] = {}


def register(spec: LayerSpec) -> LayerSpec:
    if spec.type in _REGISTRY:
        raise ValueError(f"layer type {spec.type!r} registered twice")
    if spec.category not in CATEGORIES:
        raise ValueError(f"{spec.type}: unknown category {spec.category!r}")
    _REGISTRY[spec.type] = spec
    return spec


def get_spec(layer_type: str) -> LayerSpec:
    try:
        return _REGISTRY[layer_type]
    except KeyError:
        raise EditError(f"unknown layer type {layer_type!r}") from None


def has_spec(layer_type: str) -> bool:
    return layer_type in _REGISTRY


def all_specs() -> list[LayerSpec]:
    """Every spec, in palette order (category, then registration order)."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(_REGISTRY.values(), key=lambda s: order[s.category])


from . import activation, basic, convolution, sequence, tensor_math, tensor_ops  # noqa: E402,F401  (they register)
from .derived import derived_specs, saved_descriptions  # noqa: E402

_described = saved_descriptions()
if _described is None:  # another torch than torch_nn.json was written for: read torch.nn (imports torch)
    from .torch_nn import catalogue

    _described = catalogue()["layers"]
#: The types read off torch.nn (see :mod:`.derived`), registered after every hand-written one.
DERIVED_TYPES = frozenset(register(spec).type for spec in derived_specs(
    _described, {s.torch_class for s in _REGISTRY.values() if s.torch_class}))
