"""Parameter validation: normalised values in, messages that quote what was received."""

import pytest

from netbuilder.core.errors import ParamError
from netbuilder.core.layers import all_specs, get_spec
from netbuilder.core.params import Bool, Choice, Dims, Float, Int, ParamSpec, Shape


def message(spec: ParamSpec, value) -> str:
    with pytest.raises(ParamError) as caught:
        spec.validate(value)
    assert caught.value.field == spec.name
    return str(caught.value)


@pytest.mark.parametrize("value", ["x", 0, -1, [3, 3, 3], [], [3, "a"], True, 2.5, None])
def test_kernel_size_refusals_say_positive_int_or_pair(value):
    text = message(get_spec("Conv2d").param("kernel_size"), value)
    assert text.startswith("kernel_size: expected a positive int or pair, got ")


def test_refusal_quotes_strings_and_writes_null():
    spec = get_spec("Conv2d").param("kernel_size")
    assert message(spec, "x") == 'kernel_size: expected a positive int or pair, got "x"'
    assert message(spec, None) == "kernel_size: expected a positive int or pair, got null"


def test_a_window_too_big_for_torch_is_refused_with_the_limit():
    """torch takes kernel sizes and strides as 32-bit ints and would only fail once the model runs."""
    spec = get_spec("AvgPool1d").param("stride")
    assert spec.validate(2**31 - 1) == 2**31 - 1
    assert message(spec, 2**31) == ("stride: expected at most 2,147,483,647, the largest size torch takes, "
                                    "got 2147483648")


def test_ints_normalise_equal_pairs_to_one_int():
    spec = get_spec("Conv2d").param("kernel_size")
    assert spec.validate(3) == 3
    assert spec.validate([3, 3]) == 3
    assert spec.validate((3, 5)) == [3, 5]


def test_one_dimensional_layers_take_one_int():
    spec = get_spec("Conv1d").param("kernel_size")
    assert spec.validate([5]) == 5
    assert message(spec, [3, 5]) == "kernel_size: expected a positive int, got [3, 5]"


def test_padding_may_be_zero_but_not_negative():
    spec = get_spec("Conv2d").param("padding")
    assert spec.validate(0) == 0
    assert message(spec, -1) == "padding: expected a non-negative int or pair, got -1"


def test_optional_ints_accept_null():
    assert get_spec("MaxPool2d").param("stride").validate(None) is None


@pytest.mark.parametrize("spec, good, normalised", [
    (Int("n", minimum=1), 3.0, 3),
    (Float("p", minimum=0, maximum=1), 1, 1.0),
    (Bool("b"), False, False),
    (Choice("mode", ["a", "b"]), "b", "b"),
    (Shape("shape"), (1, 8, 8), [1, 8, 8]),
    (Dims("dims"), (0, -1, 1), [0, -1, 1]),
])
def test_accepted_values_come_back_as_plain_json(spec, good, normalised):
    value = spec.validate(good)
    assert value == normalised and type(value) is type(normalised)


@pytest.mark.parametrize("spec, bad, expected", [
    (Int("n", minimum=1), 0, 'n: expected an integer ≥ 1, got 0'),
    (Int("n", minimum=1), True, 'n: expected an integer ≥ 1, got True'),
    (Int("n"), 2.5, "n: expected an integer, got 2.5"),
    (Float("p", minimum=0, maximum=1), 1.5, "p: expected a number in [0, 1], got 1.5"),
    (Float("p"), float("nan"), "p: expected a number, got nan"),
    (Float("p"), "0.5", 'p: expected a number, got "0.5"'),
    (Bool("b"), 1, "b: expected true or false, got 1"),
    (Choice("mode", ["a", "b"]), "c", 'mode: expected one of "a", "b", got "c"'),
    (Shape("shape"), [1, 0], "shape: expected a list of positive integers, got [1, 0]"),
    (Shape("shape"), [], "shape: expected a list of positive integers, got []"),
    (Dims("dims"), [0, 1.5], "dims: expected a list of integers, got [0, 1.5]"),
])
def test_refusals_say_what_was_expected_and_what_came(spec, bad, expected):
    assert message(spec, bad) == expected


def test_choice_does_not_confuse_true_with_one():
    with pytest.raises(ParamError):
        Choice("x", [1, 2]).validate(True)


def test_validate_params_fills_defaults_and_names_the_path():
    spec = get_spec("Linear")
    assert spec.validate_params({"out_features": 4}) == {"out_features": 4, "bias": True}
    with pytest.raises(ParamError) as caught:
        spec.validate_params({"out_features": 4, "units": 3}, "nodes[2].params")
    assert str(caught.value).startswith("nodes[2].params.units: Linear has no parameter 'units' (known: ")
    with pytest.raises(ParamError, match=r"^nodes\[0\]\.params\.out_features: required by Linear, missing$"):
        spec.validate_params({}, "nodes[0].params", strict=True)


def test_every_default_is_valid_for_its_own_spec():
    for spec in all_specs():
        for param in spec.params:
            if param.default is not None or not param.optional:
                assert param.validate(param.default) == param.default, (spec.type, param.name)
        assert spec.validate_params({}) == spec.defaults()


def test_every_spec_is_documented():
    for spec in all_specs():
        assert spec.doc, spec.type
        assert all(p.doc for p in spec.params), spec.type


def test_a_float_too_large_for_float32_is_refused_by_name():
    from netbuilder.core.errors import ParamError
    from netbuilder.core.layers import get_spec

    with pytest.raises(ParamError, match="beta.*too large.*float32"):
        get_spec("Softplus").validate_params({"beta": 1e308})
    assert get_spec("Softplus").validate_params({"beta": 3e38})["beta"] == 3e38


def test_a_recurrent_layer_with_a_million_stacked_layers_is_refused_before_it_is_built():
    from netbuilder.core.errors import ParamError
    from netbuilder.core.layers import get_spec

    with pytest.raises(ParamError, match="num_layers"):  # torch would build each in Python: check would hang
        get_spec("GRU").validate_params({"hidden_size": 4, "num_layers": 10**6})
