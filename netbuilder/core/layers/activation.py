"""Elementwise activations and the softmax family."""

from __future__ import annotations

from ..params import Choice, Float, Int
from . import register
from .basic import dim_index, same
from .spec import LayerSpec, no_parameters


def _activation(name: str, doc: str, *params, rule=same, warn=None, count_params=no_parameters):
    """Register an elementwise activation: the shape passes through unchanged,
    and (unless ``count_params`` says otherwise) it learns nothing and its
    constructor checks nothing."""
    register(LayerSpec(name, "Activation", doc, params=tuple(params), torch_class=name, rule=rule, warn=warn,
                       count_params=count_params))


def _along_dim(params, inputs):
    """Softmax keeps the shape, but its ``dim`` must exist (the meta device does not check)."""
    dim_index(params["dim"], inputs[0])
    return [inputs[0]]


def _one_slope_or_one_per_channel(params, inputs):
    count, channels = params["num_parameters"], inputs[0].shape[0]
    if count not in (1, channels):
        raise ValueError(f"num_parameters {count} must be 1 or the {channels} channels of {inputs[0].text()}")
    return [inputs[0]]


def _batch_warning(params, inputs):
    if dim_index(params["dim"], inputs[0]) == 0:
        return ["dim 0 normalises across the samples of a batch; dim 1 or -1 is usually meant"]
    return []


_activation("ReLU", "max(0, x): the default choice.")
_activation("LeakyReLU", "ReLU with a small slope for negative inputs.",
            Float("negative_slope", 0.01, "Slope for x < 0.", minimum=0, key=True))
_activation("PReLU", "ReLU with a learned negative slope.",
            Int("num_parameters", 1, "1, or the number of channels for one slope each.", minimum=1),
            rule=_one_slope_or_one_per_channel, count_params=lambda kwargs: kwargs.get("num_parameters", 1))
_activation("ELU", "Exponential linear unit: smooth for x < 0.", Float("alpha", 1.0, "Saturation value.", minimum=0))
_activation("SELU", "Self-normalising ELU (pair with AlphaDropout).")
_activation("GELU", "Gaussian error linear unit (transformers).",
            Choice("approximate", ["none", "tanh"], doc="Use the tanh approximation."))
_activation("SiLU", "x·sigmoid(x), also called swish.")
_activation("Mish", "x·tanh(softplus(x)).")
_activation("Sigmoid", "1 / (1 + e⁻ˣ): squashes to (0, 1).")
_activation("Tanh", "Hyperbolic tangent: squashes to (-1, 1).")
_activation("Softmax", "Turns scores into probabilities along a dimension.",
            Int("dim", 1, "Dimension that sums to 1 (0 is the batch).", key=True), rule=_along_dim,
            warn=_batch_warning)
_activation("LogSoftmax", "log(softmax(x)); pair with NLL loss.",
            Int("dim", 1, "Dimension to normalise (0 is the batch).", key=True), rule=_along_dim,
            warn=_batch_warning)
_activation("Softplus", "log(1 + eˣ): a smooth ReLU.",
            Float("beta", 1.0, "Sharpness.", minimum=1e-6), Float("threshold", 20.0, "Linear above this."))
_activation("Hardswish", "Cheap swish used in MobileNetV3.")
_activation("ReLU6", "min(max(0, x), 6): ReLU clipped for low precision.")
_activation("Hardtanh", "Clips to [min_val, max_val].",
            Float("min_val", -1.0, "Lower bound."), Float("max_val", 1.0, "Upper bound."),
            count_params=None)  # its constructor refuses min_val >= max_val: torch says so
_activation("Softsign", "x / (1 + |x|).")
