"""TrainingConfig: defaults, round trips, and errors that name the field."""

import pytest

from netbuilder.core.errors import ParamError
from netbuilder.train.config import VERSION, ConfigError, TrainingConfig


def test_empty_object_gives_working_defaults():
    config = TrainingConfig.from_dict({})
    assert config.optimizer.name == "adam" and config.optimizer.lr == 1e-3
    assert config.loss.name == "auto" and config.scheduler.name == "none"
    assert config.epochs >= 1 and config.batch_size >= 1
    assert config.device == "auto" and config.seed == 0
    assert config.early_stopping.metric == "val_loss" and config.freeze == []


def test_file_form_keeps_only_changes_and_round_trips():
    raw = {"version": 1, "data": {"source": "iris", "val_fraction": 0.25}, "optimizer": {"name": "sgd", "lr": 0.1,
           "nesterov": True}, "scheduler": {"name": "step", "step_size": 3}, "loss": {"label_smoothing": 0.1,
           "class_weights": [1, 2, 1]}, "epochs": 7, "grad_clip": 1.0, "freeze": ["fc1"],
           "early_stopping": {"metric": "accuracy", "patience": 3}, "metrics": {"top_k": [2]}}
    config = TrainingConfig.from_dict(raw)
    assert config.loss.class_weights == [1.0, 2.0, 1.0]
    assert config.to_dict() == {**raw, "loss": {"label_smoothing": 0.1, "class_weights": [1.0, 2.0, 1.0]}}
    assert TrainingConfig.from_dict(config.to_dict()) == config
    assert TrainingConfig().to_dict() == {"version": VERSION}


def test_full_form_lists_every_setting():
    full = TrainingConfig().to_dict(full=True)
    assert set(full) >= {"data", "optimizer", "scheduler", "loss", "epochs", "batch_size", "grad_clip",
                         "early_stopping", "seed", "device", "amp", "freeze", "metrics"}
    assert TrainingConfig.from_dict(full) == TrainingConfig()


def test_integers_are_accepted_for_floats_and_whole_floats_for_ints():
    config = TrainingConfig.from_dict({"optimizer": {"lr": 1}, "epochs": 3.0})
    assert config.optimizer.lr == 1.0 and isinstance(config.epochs, int)


@pytest.mark.parametrize("raw, field, words", [
    ({"optimizer": {"lr": -1}}, "training.optimizer.lr", "> 0.0"),
    ({"optimizer": {"name": "adamax"}}, "training.optimizer.name", "sgd, adam"),
    ({"optimzer": {}}, "training.optimzer", "unknown setting"),
    ({"epochs": 0}, "training.epochs", ">= 1"),
    ({"epochs": 2.5}, "training.epochs", "integer"),
    ({"amp": "yes"}, "training.amp", "true or false"),
    ({"data": {"val_fraction": 1.5}}, "training.data.val_fraction", "<= 0.9"),
    ({"data": []}, "training.data", "object"),
    ({"freeze": "conv1"}, "training.freeze", "list"),
    ({"freeze": [3]}, "training.freeze[0]", "string"),
    ({"loss": {"class_weights": [1, "x"]}}, "training.loss.class_weights[1]", "number"),
    ({"scheduler": {"gamma": float("nan")}}, "training.scheduler.gamma", "number"),
    ({"device": "tpu"}, "training.device", "auto, cpu, cuda, mps"),
    ({"version": 99}, "training.version", "upgrade"),
])
def test_bad_values_name_their_field(raw, field, words):
    with pytest.raises(ConfigError) as info:
        TrainingConfig.from_dict(raw)
    assert info.value.field == field
    assert words in str(info.value)
    assert isinstance(info.value, ParamError) and isinstance(info.value, ValueError)


def test_fields_carry_docs_and_choices_for_forms():
    import dataclasses

    from netbuilder.train.config import OptimizerConfig

    name = next(f for f in dataclasses.fields(OptimizerConfig) if f.name == "name")
    assert "adamw" in name.metadata["choices"] and name.metadata["doc"]
