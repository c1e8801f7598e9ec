"""The shape oracle: its cache must not let nodes share state, and it asks torch only when it must."""

import pytest

from netbuilder.core import oracle
from netbuilder.core.layers import TensorType, all_specs, get_spec
from netbuilder.core.oracle import ShapeError, evaluate_node


def test_nodes_with_equal_params_get_their_own_kwargs():
    features = [TensorType((8,), "float32")]
    params = {"out_features": 4, "bias": True}
    first = evaluate_node("Linear", params, features)[3]
    first["out_features"] = 99
    second = evaluate_node("Linear", params, features)[3]
    assert second == {"in_features": 8, "out_features": 4}
    assert second is not first


def test_layers_that_count_their_parameters_are_never_built(monkeypatch):
    """A cold inference of a big graph was mostly meta-device builds; layers
    that can count their parameters from their arguments skip them."""
    built = []
    real_build = oracle.build_on_meta

    def build(spec, kwargs):
        built.append(spec.type)
        return real_build(spec, kwargs)

    monkeypatch.setattr(oracle, "build_on_meta", build)
    oracle.clear_caches()
    image = [TensorType((4, 8, 8), "float32")]
    for layer_type, params in (("Conv2d", {"out_channels": 6, "kernel_size": 3, "groups": 2}),
                               ("BatchNorm2d", {}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}),
                               ("Dropout", {}), ("Flatten", {}), ("Hardtanh", {})):
        evaluate_node(layer_type, get_spec(layer_type).validate_params(params), image)
    evaluate_node("Linear", {"out_features": 3, "bias": False}, [TensorType((8,), "float32")])
    assert built == ["Hardtanh"]  # its constructor checks min_val < max_val: torch is asked
    assert all(spec.rule is not None for spec in all_specs() if spec.count_params is not None)


def test_a_convolution_whose_channels_do_not_split_into_groups_is_refused_by_name():
    with pytest.raises(ShapeError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        evaluate_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 1,
                                 "groups": 2, "bias": True}, [TensorType((3, 8, 8), "float32")])
