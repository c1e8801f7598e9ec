"""Built-in data sets, the DataSet type, split and standardise."""

import numpy as np
import pytest

from netbuilder.core.errors import NetbuilderError
from netbuilder.train.datasets import DataError, DataSet, builtin_info, builtin_names, load_builtin
from netbuilder.train.split import split, standardise

INFO = {info["name"]: info for info in builtin_info()}


def test_builtin_names_match_info():
    assert builtin_names() == list(INFO)
    assert {"digits", "iris", "wine", "breast_cancer", "moons", "circles", "spirals", "sine",
            "waveforms", "running_sum"} <= set(INFO)


@pytest.mark.parametrize("name", [n for n in builtin_names() if INFO[n]["task"] != "tagging"])  # test_tagging.py
def test_builtin_matches_its_declared_info(name):
    info = INFO[name]
    ds = load_builtin(name)
    assert ds.name == name
    assert ds.input_shape == info["input_shape"]
    assert len(ds) == info["n_samples"] <= 5000
    assert ds.task == info["task"]
    assert ds.class_names == info["classes"]
    assert ds.kind == info["kind"]
    assert ds.dtype == "float32" and ds.x.dtype == np.float32
    assert np.isfinite(ds.x).all()
    if ds.task == "classification":
        assert ds.y.dtype == np.int64 and ds.y.shape == (len(ds),)
        assert set(np.unique(ds.y)) == set(range(ds.num_classes))
        assert ds.output_size == len(info["classes"]) >= 2
    else:
        assert ds.y.dtype == np.float32 and ds.y.shape == (len(ds), 1)
        assert ds.output_size == 1 and ds.num_classes == 0


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_is_deterministic_by_seed(name):
    a, b = load_builtin(name, seed=3), load_builtin(name, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)


@pytest.mark.parametrize("name", ["moons", "circles", "spirals", "sine", "counts", "waveforms", "running_sum"])
def test_generated_sets_vary_with_seed(name):
    assert not np.array_equal(load_builtin(name, seed=0).x, load_builtin(name, seed=1).x)


def test_counts_are_whole_numbers_that_grow_with_the_first_feature():
    ds = load_builtin("counts")
    assert ds.task == "regression" and ds.y.shape == (1000, 1) and ds.y.min() == 0
    assert np.array_equal(ds.y, np.round(ds.y))
    assert ds.y[ds.x[:, 0] > 0.5].mean() > 2 * ds.y[ds.x[:, 0] < -0.5].mean()


def test_digits_are_images_in_unit_range():
    ds = load_builtin("digits")
    assert ds.input_shape == (1, 8, 8) and ds.class_names == [str(d) for d in range(10)]
    assert ds.x.min() == 0.0 and ds.x.max() == 1.0


def test_tabular_builtins_are_standardised():
    x = load_builtin("wine").x
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0), 1.0, atol=1e-4)


def test_running_sum_labels_are_the_sign_of_the_sum():
    ds = load_builtin("running_sum")
    np.testing.assert_array_equal(ds.y, (ds.x.sum(axis=(1, 2)) > 0).astype(np.int64))
    assert 0.4 < ds.y.mean() < 0.6


def test_unknown_builtin_lists_known_names():
    with pytest.raises(DataError, match="iris") as info:
        load_builtin("mnist")
    assert "mnist" in str(info.value)
    assert isinstance(info.value, NetbuilderError)


def test_dataset_refuses_mismatched_lengths():
    with pytest.raises(DataError, match="3 samples in x but 2"):
        DataSet("bad", np.zeros((3, 2), np.float32), np.zeros(2, np.int64), "classification", ["a"], "tabular")


def test_subset_keeps_metadata():
    ds = load_builtin("iris")
    part = ds.subset([0, 50, 100])
    assert len(part) == 3 and part.class_names == ds.class_names and part.task == ds.task
    np.testing.assert_array_equal(part.y, [0, 1, 2])


def test_split_sizes_and_no_overlap():
    ds = load_builtin("moons")
    train, val = split(ds, val_fraction=0.25, seed=1)
    assert len(train) + len(val) == len(ds) and len(val) == 250
    rows = {tuple(r) for r in train.x} | {tuple(r) for r in val.x}
    assert len(rows) == len(ds)


def test_split_is_deterministic_and_seeded():
    ds = load_builtin("iris")
    a, b, c = split(ds, seed=4)[1], split(ds, seed=4)[1], split(ds, seed=5)[1]
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


def test_split_stratifies_classes():
    ds = load_builtin("iris")
    train, val = split(ds, val_fraction=0.2)
    assert np.bincount(val.y).tolist() == [10, 10, 10]
    assert np.bincount(train.y).tolist() == [40, 40, 40]


def test_split_regression_and_empty_validation():
    ds = load_builtin("sine")
    train, val = split(ds, val_fraction=0.1)
    assert (len(train), len(val)) == (900, 100)
    train, val = split(ds, val_fraction=0.0)
    assert len(train) == len(ds) and len(val) == 0 and val.input_shape == (1,)


def test_split_refuses_bad_fraction():
    with pytest.raises(DataError, match="val_fraction"):
        split(load_builtin("iris"), val_fraction=1.0)


def test_standardise_uses_train_statistics_only():
    def table(x):
        return DataSet("t", np.asarray(x, np.float32), np.zeros(len(x), np.int64), "classification", ["a"], "tabular")

    train = table([[0.0, 5.0], [2.0, 5.0]])
    val = table([[4.0, 7.0]])
    new_train, new_val, (mean, std) = standardise(train, val)
    np.testing.assert_allclose(mean, [1.0, 5.0])
    np.testing.assert_allclose(std, [1.0, 1.0])  # constant feature: std 1, not a division by zero
    np.testing.assert_allclose(new_train.x, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(new_val.x, [[3.0, 2.0]])
    assert new_val.x.dtype == np.float32
    np.testing.assert_array_equal(train.x, [[0.0, 5.0], [2.0, 5.0]])  # inputs untouched


def test_standardise_leaves_images_and_sequences_alone():
    for name in ("digits", "waveforms"):
        train, val = split(load_builtin(name))
        same_train, same_val, stats = standardise(train, val)
        assert same_train is train and same_val is val and stats is None
