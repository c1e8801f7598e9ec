"""The GAN engine: two networks trained against each other, as a generator of plain events.

``GanTrainer`` has the same face as :class:`~netbuilder.train.engine.Trainer` (``run()``,
``pause``, ``resume``, ``stop``, ``set_lr``) so the CLI, the worker process and the GUI
drive either one the same way; :func:`make_trainer` picks one from the settings'
``recipe``. The steps themselves are :mod:`gan_recipe`'s, the code an exported GAN
script carries. Besides the common events a run yields :mod:`gan_events`: the four
figures per batch, a grid of samples from one fixed noise batch per epoch (so the
pictures show the generator improving, not the noise changing), and warnings.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from ..core.compiler import build_model
from ..core.document import GraphDocument
from ..core.errors import NetbuilderError
from ..core.fileformat import dumps
from . import gan_recipe, recipe
from .checkpoints import FAILED_FILE, CheckpointWriter, load_checkpoint, new_run_dir, resume_file, write_json
from .config import TrainingConfig
from .engine import Trainer, _record_failure, _saved_anyway
from .events import BatchEnd, EpochEnd, Failed, Finished, RunStarted
from .gan_events import GanBatch, GanSamples, GanWarning
from .gan_plan import GanPlan, plan_gan
from .prepare import TrainingError, resolve_device
from .run_control import RunControl

FIGURES = ("d_loss", "g_loss", "d_real", "d_fake")
SAMPLES_FILE = "samples.png"  # in the run folder: the latest epoch's grid of samples


def make_trainer(doc: GraphDocument, config: TrainingConfig | dict | None = None, **options):
    """The engine the settings ask for: a :class:`GanTrainer` for ``recipe: gan``, else a ``Trainer``."""
    raw = doc.training if config is None else config
    recipe_name = raw.recipe if isinstance(raw, TrainingConfig) else (raw or {}).get("recipe", "supervised")
    if recipe_name == "gan" and options.pop("init_from", None):
        raise TrainingError("starting from an earlier run's weights is for one network; a GAN continues "
                            "its own run: select it under Runs and press Resume")
    if recipe_name == "gan":
        options.pop("details", None)  # a GAN run reports its own figures, not per-node statistics
        return GanTrainer(doc, config, **options)
    return Trainer(doc, config, **options)


class GanTrainer(RunControl):
    """Trains the GAN in ``doc`` with ``config`` (default: the document's ``training``)."""

    def __init__(self, doc: GraphDocument, config: TrainingConfig | dict | None = None,
                 runs_dir: str | Path = "runs", resume: str | Path | None = None,
                 base_dir: str | Path | None = None, batch_events_per_s: float = 30.0, save_every_s: float = 10.0):
        self.doc = doc.copy()
        self._config = doc.training if config is None else config
        self.runs_dir, self.resume_from, self.base_dir = runs_dir, resume, base_dir
        self._interval = 1.0 / batch_events_per_s if batch_events_per_s else 0.0
        self.save_every_s = save_every_s
        super().__init__()
        self._where = (0, 0)
        self.step: gan_recipe.GanStep | None = None
        self.plan: GanPlan | None = None

    # -- control ----------------------------------------------------------
    def _apply_lr(self, lr: float) -> None:
        """Scale both networks' learning rates so the generator's becomes ``lr``."""
        if self.step is not None:
            factor = lr / self.step.g_optimizer.param_groups[0]["lr"]
            for optimizer in (self.step.g_optimizer, self.step.d_optimizer):
                for group in optimizer.param_groups:
                    group["lr"] *= factor

    # -- the run -------------------------------------------------------------
    def run(self):
        """Yield the events of the run, ending with ``Finished`` or ``Failed``."""
        writer = None
        try:
            config = self._config if isinstance(self._config, TrainingConfig) else \
                TrainingConfig.from_dict(self._config)
            setup = self._open(config)
            writer = CheckpointWriter(setup["run_dir"], self.save_every_s)
            yield from self._train(config, setup, writer)
        except Exception as err:
            if writer is not None:
                yield from _saved_anyway(writer)
            failed = self._failure(err)
            if writer is not None:
                _record_failure(writer.run_dir, failed)
            yield failed
        except (KeyboardInterrupt, GeneratorExit):
            if writer is not None:
                for _ in _saved_anyway(writer):
                    pass
            raise

    def _open(self, config: TrainingConfig) -> dict:
        """Check and build everything, in the order the exported script builds it."""
        self.plan = plan = plan_gan(self.doc, config, self.base_dir)
        gan = config.gan
        device = resolve_device(config.device)
        checkpoint = load_checkpoint(resume_file(self.resume_from)) if self.resume_from else None
        recipe.seed_everything(config.seed)
        generator = build_model(plan.generator).to(device)
        discriminator = build_model(plan.discriminator).to(device)
        g_opt = torch.optim.Adam(generator.parameters(), lr=gan.generator_optimizer.lr,
                                 betas=tuple(gan.generator_optimizer.betas))
        d_opt = torch.optim.Adam(discriminator.parameters(), lr=gan.discriminator_optimizer.lr,
                                 betas=tuple(gan.discriminator_optimizer.betas))
        shuffle = torch.Generator().manual_seed(config.seed)
        noise = torch.Generator().manual_seed(config.seed + 1)
        fixed = gan_recipe.make_noise(gan.samples, plan.latent_size, gan.noise,
                                      torch.Generator().manual_seed(config.seed + 2), device)
        real = torch.from_numpy(plan.real)
        batches = recipe.Batches(real, torch.zeros(len(real)), config.batch_size, shuffle, device=device)
        self.step = gan_recipe.GanStep(generator, discriminator, g_opt, d_opt, plan.latent_size, gan.noise,
                                       gan.d_steps, gan.label_smoothing, plan.probabilities, noise)
        history: list[dict] = []
        if checkpoint is not None:
            history = self._restore(checkpoint, shuffle, noise)
            run_dir = resume_file(self.resume_from).parent
        else:
            run_dir = new_run_dir(self.runs_dir, self.doc.name)
        write_json(run_dir / "config.json", {"graph": self.doc.name, "data": plan.describe(),
                                             "training": config.to_dict(full=True)})
        (run_dir / "graph.json").write_text(dumps(self.doc), encoding="utf-8")
        return {"device": device, "batches": batches, "fixed": fixed, "run_dir": run_dir, "history": history,
                "shuffle": shuffle, "noise": noise, "real_variety": gan_recipe.variety(plan.real[:512])}

    def _state(self, epoch: int, setup: dict) -> dict:
        step = self.step
        return {"epoch": epoch, "generator": step.generator.state_dict(),
                "discriminator": step.discriminator.state_dict(),
                "g_optimizer": step.g_optimizer.state_dict(), "d_optimizer": step.d_optimizer.state_dict(),
                "rng": recipe.rng_state(setup["shuffle"]), "noise": setup["noise"].get_state(),
                "batches": step.batches, "history": setup["history"]}

    def _restore(self, state: dict, shuffle: torch.Generator, noise: torch.Generator) -> list:
        step = self.step
        try:
            step.generator.load_state_dict(state["generator"])
            step.discriminator.load_state_dict(state["discriminator"])
            step.g_optimizer.load_state_dict(state["g_optimizer"])
            step.d_optimizer.load_state_dict(state["d_optimizer"])
            recipe.set_rng_state(state["rng"], shuffle)
            noise.set_state(state["noise"])
            step.batches = int(state["batches"])
        except (KeyError, RuntimeError, ValueError) as err:
            raise TrainingError(f"this checkpoint is not of this GAN (both networks and both optimizers): "
                                f"{err}") from None
        return list(state["history"])

    def _train(self, config: TrainingConfig, setup: dict, writer: CheckpointWriter):
        step, batches, history, plan = self.step, setup["batches"], setup["history"], self.plan
        steps = len(batches)
        counts = [sum(p.numel() for p in net.parameters()) for net in (step.generator, step.discriminator)]
        start = history[-1]["epoch"] if history else 0
        yield RunStarted(config.to_dict(full=True), sum(counts), sum(counts), str(setup["device"]),
                         str(setup["run_dir"]), config.epochs, steps, start,
                         {**plan.describe(), "generator_params": counts[0], "discriminator_params": counts[1]})
        stopped = False
        for epoch in range(start + 1, config.epochs + 1):
            started = since_t = time.perf_counter()
            sums, since = dict.fromkeys(FIGURES, 0.0), dict.fromkeys(FIGURES, 0.0)
            count = since_n = 0
            batches.set_epoch(epoch)
            for number, size, figures in gan_recipe.gan_epoch(step, batches, setup["device"]):
                self._where = (epoch, number)
                count, since_n = count + size, since_n + size
                for key in FIGURES:
                    sums[key] += figures[key] * size
                    since[key] += figures[key] * size
                now = time.perf_counter()
                if number == steps or now - since_t >= self._interval:
                    means = {key: since[key] / since_n for key in FIGURES}
                    global_step = (epoch - 1) * steps + number
                    yield GanBatch(epoch, number, steps, global_step, *(means[key] for key in FIGURES))
                    yield BatchEnd(epoch, number, steps, global_step, means["d_loss"],
                                   step.g_optimizer.param_groups[0]["lr"], since_n / max(now - since_t, 1e-9))
                    since, since_n, since_t = dict.fromkeys(FIGURES, 0.0), 0, time.perf_counter()
                if number < steps and self._should_stop():
                    stopped = True
                    break
            if stopped:
                break
            row = {"epoch": epoch, "train_loss": sums["g_loss"] / count, "val_loss": None,
                   **{key: sums[key] / count for key in FIGURES},
                   "lr": step.g_optimizer.param_groups[0]["lr"], "duration": time.perf_counter() - started}
            history.append(row)
            saved = writer.epoch_end(lambda e=epoch: self._state(e, setup), epoch, False, history,
                                     force=epoch == config.epochs or self.stopping)
            yield EpochEnd(epoch, row["train_loss"], None, {key: row[key] for key in FIGURES}, row["lr"],
                           row["duration"])
            yield from self._samples(epoch, setup, history)
            yield from saved
            if self._should_stop():
                stopped = True
                break
        yield from writer.flush()
        (setup["run_dir"] / FAILED_FILE).unlink(missing_ok=True)
        # no "best" epoch: a GAN's losses do not rank its epochs, so the run keeps the last one
        yield Finished({}, str(setup["run_dir"]), list(history), False, stopped, False)

    def _samples(self, epoch: int, setup: dict, history: list):
        """The fixed noise batch's samples as a grid, and any warning they or the figures call for."""
        plan = self.plan
        samples = gan_recipe.generate_samples(self.step.generator, setup["fixed"],
                                              plan.image_shape or (1, 1, plan.real[0].size))
        spread = gan_recipe.variety(samples)
        real_spread = setup["real_variety"]
        grid = gan_recipe.image_grid(samples, plan.output_range or (float(plan.real.min()), float(plan.real.max())))
        gan_recipe.save_png(grid, setup["run_dir"] / SAMPLES_FILE)
        yield GanSamples(epoch, grid, spread / real_spread if real_spread else 1.0)
        for kind, message in gan_recipe.gan_warnings(history, spread, real_spread):
            yield GanWarning(epoch, kind, message)

    def _failure(self, err: Exception) -> Failed:
        epoch, step = self._where
        node_id = getattr(err, "node_id", None)
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(err, (NetbuilderError, FloatingPointError)) or node_id is not None:
            return Failed(text, node_id, epoch, step)
        where = f" at epoch {epoch}, step {step}" if step else ""
        return Failed(f"{type(err).__name__}{where}: {text}", None, epoch, step)
