"""The GAN recipe: settings, checks with plain messages, the engine's events, checkpoints, the CLI."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from netbuilder.core.fileformat import load_graph
from netbuilder.train.checkpoints import load_checkpoint
from netbuilder.train.config import ConfigError, TrainingConfig
from netbuilder.train.engine import Trainer
from netbuilder.train.events import BatchEnd, CheckpointSaved, EpochEnd, Failed, Finished, RunStarted
from netbuilder.train.gan import GanTrainer, make_trainer
from netbuilder.train.gan_events import GanBatch, GanSamples, GanWarning
from netbuilder.train.gan_plan import plan_gan
from netbuilder.train.gan_recipe import gan_warnings, image_grid, save_png
from netbuilder.train.prepare import TrainingError

GAN = Path(__file__).resolve().parents[2] / "examples" / "gan_digits.json"


def gan_doc():
    return load_graph(GAN)


def settings(**changes) -> dict:
    training = dict(gan_doc().training)
    training.update(changes)
    return training


def test_gan_settings_default_to_the_adam_that_works_and_stay_short_in_the_file():
    config = TrainingConfig.from_dict(settings())
    assert config.recipe == "gan"
    assert config.gan.generator_optimizer.lr == 2e-4 and config.gan.discriminator_optimizer.betas == [0.5, 0.999]
    assert config.to_dict() == {"version": 1, **{k: v for k, v in settings().items() if k != "version"}}
    with pytest.raises(ConfigError, match=r"training\.gan\.noise.*normal, uniform"):
        TrainingConfig.from_dict(settings(gan={"noise": "cauchy"}))
    with pytest.raises(ConfigError, match=r"training\.gan\.discriminator.*two different Output"):
        TrainingConfig.from_dict(settings(gan={"discriminator": "generator"}))
    with pytest.raises(ConfigError, match=r"training\.gan\.generator_optimizer\.betas"):
        TrainingConfig.from_dict(settings(gan={"generator_optimizer": {"betas": [0.5]}}))


def test_the_plan_scales_digits_to_the_tanh_range_and_reads_the_sigmoid():
    plan = plan_gan(gan_doc(), TrainingConfig.from_dict(settings()))
    assert plan.latent_size == 32 and plan.output_range == (-1.0, 1.0) and plan.probabilities
    assert plan.real.shape == (1797, 64) and plan.real.min() == -1.0 and plan.real.max() == 1.0
    assert plan.image_shape == (1, 8, 8)


@pytest.mark.parametrize("change, message, node", [
    (lambda d, t: t["gan"].update(latent_size=100), "latent_size is 100 but the generator's Input 'z' takes 32",
     "z"),
    (lambda d, t: d.set_param("g_fc2", "out_features", 49), r"generator makes \(49,\) per sample but the "
     r"discriminator's Input 'image' takes \(64,\)", "image"),
    (lambda d, t: (d.set_param("g_fc2", "out_features", 49), d.set_param("image", "shape", [49])),
     r"real samples of digits are \(1, 8, 8\) \(64 values\) but the discriminator's Input 'image' takes \(49,\)",
     "image"),
    (lambda d, t: t["gan"].update(generator="g_tanh"), "no Output node 'g_tanh' to be the generator", None),
    (lambda d, t: d.set_param("d_fc2", "out_features", 2), r"discriminator returns \(2,\) per sample",
     "discriminator"),
])
def test_bad_gan_settings_get_a_plain_message_naming_the_node(change, message, node):
    doc = gan_doc()
    training = settings(gan={})
    change(doc, training)
    with pytest.raises(TrainingError, match=message) as caught:
        plan_gan(doc, TrainingConfig.from_dict(training))
    assert caught.value.node_id == node


def test_a_gan_run_yields_plain_events_a_fixed_noise_grid_and_both_networks_in_its_checkpoint(tmp_path):
    trainer = make_trainer(gan_doc(), settings(epochs=2), runs_dir=tmp_path, save_every_s=0)
    assert isinstance(trainer, GanTrainer)
    assert isinstance(make_trainer(load_graph(GAN.with_name("iris_mlp.json")), runs_dir=tmp_path), Trainer)
    events = list(trainer.run())
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], Finished), events[-1]
    kinds = {type(e) for e in events}
    assert {GanBatch, BatchEnd, EpochEnd, GanSamples, CheckpointSaved} <= kinds
    pickle.dumps(events)  # they cross a process boundary
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert set(epochs[0].metrics) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert 0 < epochs[-1].metrics["d_real"] < 1 and 0 < epochs[-1].metrics["d_fake"] < 1
    grids = [e for e in events if isinstance(e, GanSamples)]
    assert grids[0].grid.dtype == np.uint8 and grids[0].grid.shape == (73, 73)  # 8×8 samples of 8×8, padded
    run = Path(events[-1].run_dir)
    assert (run / "samples.png").read_bytes()[:4] == b"\x89PNG"
    state = load_checkpoint(run / "last.pt")
    assert {"generator", "discriminator", "g_optimizer", "d_optimizer", "epoch", "history"} <= set(state)
    assert state["epoch"] == 2


def test_a_resumed_gan_continues_exactly_where_it_stopped(tmp_path):
    straight = list(make_trainer(gan_doc(), settings(epochs=3), runs_dir=tmp_path / "a", save_every_s=0).run())
    first = list(make_trainer(gan_doc(), settings(epochs=2), runs_dir=tmp_path / "b", save_every_s=0).run())
    resumed = list(make_trainer(gan_doc(), settings(epochs=3), runs_dir=tmp_path / "b",
                                resume=first[-1].run_dir, save_every_s=0).run())
    assert resumed[0].start_epoch == 2
    last = [e for e in straight if isinstance(e, EpochEnd)][-1].metrics
    again = [e for e in resumed if isinstance(e, EpochEnd)]
    assert len(again) == 1 and again[0].metrics == pytest.approx(last)
    assert len(resumed[-1].history) == 3


def test_a_stopped_gan_keeps_its_finished_epochs(tmp_path):
    trainer = make_trainer(gan_doc(), settings(epochs=50), runs_dir=tmp_path, save_every_s=0)
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 2:
            trainer.stop()
    assert events[-1].stopped_by_user and len(events[-1].history) == 2
    assert load_checkpoint(Path(events[-1].run_dir) / "last.pt")["epoch"] == 2


def test_bce_with_logits_when_the_discriminator_has_no_sigmoid(tmp_path):
    doc = gan_doc()
    doc.remove_node("d_sigmoid")
    from netbuilder.core.document import Edge

    doc.connect(Edge("d_fc2", "discriminator"))
    assert not plan_gan(doc, TrainingConfig.from_dict(settings())).probabilities
    events = list(make_trainer(doc, settings(epochs=1), runs_dir=tmp_path).run())
    assert isinstance(events[-1], Finished)
    metrics = [e for e in events if isinstance(e, EpochEnd)][0].metrics
    assert 0 < metrics["d_fake"] < 1  # read through a sigmoid


def test_a_refused_gan_fails_with_the_message_not_a_traceback(tmp_path):
    events = list(make_trainer(gan_doc(), settings(gan={"latent_size": 7}), runs_dir=tmp_path).run())
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert "latent_size is 7" in events[0].message and events[0].node_id == "z"


def test_warnings_say_when_the_discriminator_wins_or_the_generator_collapses():
    rows = [{"d_fake": 0.01}] * 3
    kinds = [kind for kind, _ in gan_warnings(rows, samples_variety=0.01, real_variety=0.5)]
    assert kinds == ["discriminator_wins", "mode_collapse"]
    assert gan_warnings([{"d_fake": 0.3}] * 3, 0.4, 0.5) == []
    text = dict(gan_warnings(rows, 0.4, 0.5))["discriminator_wins"]
    assert "label smoothing" in text


def test_a_collapsed_generator_is_warned_about_during_the_run(tmp_path, monkeypatch):
    from netbuilder.train import gan_recipe

    monkeypatch.setattr(gan_recipe, "variety", lambda samples: 0.0 if len(samples) == 64 else 0.5)
    events = list(make_trainer(gan_doc(), settings(epochs=1), runs_dir=tmp_path).run())
    warnings = [e for e in events if isinstance(e, GanWarning)]
    assert [w.kind for w in warnings] == ["mode_collapse"] and "nearly identical" in warnings[0].message


def test_grid_and_png_need_only_numpy(tmp_path):
    grid = image_grid(np.linspace(-1, 1, 4 * 3 * 4 * 4).reshape(4, 3, 4, 4).astype(np.float32))
    assert grid.shape == (11, 11, 3)
    save_png(grid, tmp_path / "g.png")
    from PIL import Image

    assert Image.open(tmp_path / "g.png").size == (44, 44)


def test_cli_trains_a_gan_with_its_figures(tmp_path, capsys):
    from netbuilder.cli import main

    assert main(["train", str(GAN), "--epochs", "2", "--runs-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "epoch 2/2  d_loss" in err and "d_fake" in err and "samples.png" in err
    assert "train_loss" not in err.splitlines()[1]
    torch.manual_seed(0)
