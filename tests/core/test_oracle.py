"""The shape oracle's cache must not let nodes share state."""

from netbuilder.core.layers import TensorType
from netbuilder.core.oracle import evaluate_node


def test_nodes_with_equal_params_get_their_own_kwargs():
    features = [TensorType((8,), "float32")]
    params = {"out_features": 4, "bias": True}
    first = evaluate_node("Linear", params, features)[3]
    first["out_features"] = 99
    second = evaluate_node("Linear", params, features)[3]
    assert second == {"in_features": 8, "out_features": 4}
    assert second is not first
