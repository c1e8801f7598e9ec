"""The training engine: a run is a generator of plain events.

``Trainer.run()`` yields :mod:`~netbuilder.train.events` and nothing else, in the
manner of superqt's ``GeneratorWorker``: a GUI runs it on a worker thread and
re-emits what it yields, a CLI prints it, a test collects it. ``pause``, ``resume``
and ``stop`` may be called from any thread and take effect between batches. A run
never dies silently: every exception becomes a :class:`~events.Failed` event, with
the node that raised it when there is one.

The epoch loop is not here: it is :func:`~netbuilder.train.recipe.fit`, the code
every exported script carries, with its training step plugged in. The engine only
watches it: it turns what ``fit`` yields into events, pauses and stops between
batches, arms the node probes and writes checkpoints. So the app and a script
produce the same weights from the same seed by construction.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from ..core.codegen import generate
from ..core.compiler import node_for_exception
from ..core.document import GraphDocument
from ..core.errors import NetbuilderError
from ..core.shapes import infer_shapes
from . import recipe
from .advice import diverged_advice
from .checkpoints import FAILED_FILE, CheckpointWriter, open_tensorboard, write_json
from .config import TrainingConfig
from .datasets import CLASSIFICATION, TAGGING
from .events import (
    BatchEnd,
    EpochEnd,
    EvalReport,
    Failed,
    Finished,
    GradientWarning,
    GraphChanged,
    NodeStats,
    RunStarted,
    WeightsLoaded,
)
from .gradient_health import GradientWatch
from .initial_weights import loaded_text
from .metrics import (
    classification_metrics,
    confusion_matrix,
    precision_recall,
    probabilities,
    regression_metrics,
    worst_mistakes,
)
from .nan_hunt import BadNode, BatchRecorder
from .node_history import append_node_stats
from .probes import NodeProbe
from .run_control import RunControl
from .session import Session, open_session
from .tagging_report import tagging_report


class Trainer(RunControl):
    """Trains ``doc`` with ``config`` (default: the document's ``training`` object).

    ``resume`` continues a run folder or checkpoint file: in that folder, with its
    history, from the epoch after the one it holds; with ``by_node_id`` the graph may
    have been edited since (what fits is kept node by node, see :mod:`.graph_versions`). ``base_dir`` is where relative
    data paths start (the graph file's folder). ``batch_events_per_s`` caps the
    :class:`BatchEnd` rate (0: one per batch); ``save_every_s`` throttles checkpoint
    writes (0: every epoch); epochs in between are kept in memory and written when
    the run ends, stops or fails, so only a hard crash can lose that much training.
    ``init_from`` (a run folder or checkpoint) gives a new run its starting weights by
    node id (:mod:`.initial_weights`); a resumed run ignores it.
    ``details`` adds what only a GUI shows: the per-node probes (a :class:`NodeStats` event
    an epoch; hooks on every layer for one batch) and a classifier's :class:`EvalReport`
    (confusion matrix, precision and recall, the worst mistakes). Together they cost
    about 3% of a small model's epoch; the scores in the history are the same either way.
    """

    def __init__(self, doc: GraphDocument, config: TrainingConfig | dict | None = None,
                 runs_dir: str | Path = "runs", resume: str | Path | None = None,
                 base_dir: str | Path | None = None, batch_events_per_s: float = 30.0,
                 save_every_s: float = 10.0, by_node_id: bool = False, details: bool = False,
                 init_from: str | Path | None = None):
        self.doc = doc.copy()  # the user may keep editing while this trains
        self._config = doc.training if config is None else config
        self.runs_dir, self.resume_from, self.base_dir = runs_dir, resume, base_dir
        self.by_node_id = by_node_id  # resuming an edited graph: weights and optimizer state by node id
        self.init_from = init_from
        self._interval = 1.0 / batch_events_per_s if batch_events_per_s else 0.0
        self.save_every_s = save_every_s
        self.details = details
        super().__init__()
        self.session: Session | None = None
        self._where = (0, 0)  # (epoch, step) for failure messages
        self._recorder: BatchRecorder | None = None
        self._gradients = GradientWatch([])  # the run's graph order, once it starts

    # -- control ----------------------------------------------------------
    def _apply_lr(self, lr: float) -> None:
        """A per-epoch schedule continues from ``lr``; one-cycle sets its own rate every
        batch and overrides it."""
        if self.session is not None:
            for group in self.session.optimizer.param_groups:
                group["lr"] = lr

    # -- the run -------------------------------------------------------------
    def run(self):
        """Yield the events of the run, ending with ``Finished`` or ``Failed``."""
        writer = None
        try:
            config = self._config if isinstance(self._config, TrainingConfig) else \
                TrainingConfig.from_dict(self._config)
            self.session = s = open_session(self.doc, config, self.runs_dir, self.resume_from, self.base_dir,
                                           self.by_node_id, self.init_from)
            writer = CheckpointWriter(s.run_dir, self.save_every_s)
            yield from self._train(s, writer)
        except Exception as err:
            if writer is not None:
                yield from _saved_anyway(writer)
            failed = self._failure(err)
            if writer is not None:
                _record_failure(writer.run_dir, failed)
            yield failed
        except (KeyboardInterrupt, GeneratorExit):  # an abort or a close: keep the finished epochs, then go on
            if writer is not None:
                for _ in _saved_anyway(writer):
                    pass
            raise

    def _train(self, s: Session, writer: CheckpointWriter):
        config = s.config
        steps = len(s.train_batches)
        params = list(s.model.parameters())
        yield RunStarted(config.to_dict(full=True), sum(p.numel() for p in params),
                         sum(p.numel() for p in params if p.requires_grad), str(s.device), str(s.run_dir),
                         config.epochs, steps, s.start_epoch, s.data.describe())
        if s.graph_change is not None:
            change = s.graph_change
            yield GraphChanged(change.version, change.from_epoch, change.kept, change.reset, change.message())
        if s.initial is not None:
            yield WeightsLoaded(str(self.init_from), s.initial.kept, s.initial.reset,
                                loaded_text(self.init_from, s.initial))
        tensorboard = open_tensorboard(s.run_dir)
        probe = NodeProbe(s.model, s.attr_of) if self.details else _NO_PROBE
        self._gradients = GradientWatch(self.doc.topological_order())
        reports: list[EvalReport] = []
        validate = None if s.val_batches is None else lambda: self._validate(s, reports)
        step = s.step
        if isinstance(step, recipe.SupervisedStep):  # on divergence, the failing batch can be replayed
            step = self._recorder = BatchRecorder(step)
        loop = recipe.fit(step, s.train_batches, validate, s.scheduler, s.monitor, s.metric, s.history,
                          config.epochs, s.device)
        stopped = early = False
        node_stats: dict = {}
        since_loss, since_n, since_t = 0.0, 0, time.perf_counter()
        self._where = (s.start_epoch + 1, 1)
        try:
            if steps == 1:
                probe.arm()
            for done in loop:
                if type(done) is tuple:  # a batch: the hot path, kept to a few operations
                    epoch, step, n, loss = done
                    self._where = (epoch, step + 1)  # if anything fails now, it is in the next batch
                    since_loss, since_n = since_loss + loss * n, since_n + n
                    if step == steps - 1:
                        probe.arm()  # node statistics come from the epoch's last batch
                    elif step == steps:
                        node_stats = probe.collect()
                        self._where = (epoch, 0)  # validating
                    now = time.perf_counter()
                    if step == steps or now - since_t >= self._interval:
                        yield BatchEnd(epoch, step, steps, (epoch - 1) * steps + step, since_loss / since_n,
                                       s.optimizer.param_groups[0]["lr"], since_n / max(now - since_t, 1e-9))
                        since_loss, since_n, since_t = 0.0, 0, time.perf_counter()
                    if step < steps and self._should_stop():  # a stop in the last batch keeps the epoch
                        stopped = True
                        break
                    continue
                epoch = done.row["epoch"]
                stopped, early = self._should_stop(), s.monitor.should_stop
                # kept before its events go out: an abort while they are shown must not lose the epoch
                saved = writer.epoch_end(lambda e=epoch: s.checkpoint(e), epoch, done.best, s.history,
                                         force=stopped or early or epoch == config.epochs)
                yield from self._end_epoch(s, done, node_stats, reports, tensorboard)
                yield from saved
                stopped = stopped or self._should_stop()
                if stopped:
                    break
                if steps == 1:
                    probe.arm()
                self._where = (epoch + 1, 1)
                since_t = time.perf_counter()  # validation is not training time
        finally:
            loop.close()
            probe.disarm()
            if self._recorder is not None:
                self._recorder.close()
            if tensorboard is not None:
                tensorboard.close()
        yield from writer.flush()
        (s.run_dir / FAILED_FILE).unlink(missing_ok=True)  # resumed after a failure, and finished
        improving = not (early or stopped) and len(s.history) >= 2 and s.monitor.best_epoch == config.epochs
        yield Finished(self._best(s), str(s.run_dir), list(s.history), early, stopped, improving)

    def _validate(self, s: Session, reports: list) -> tuple[float, dict]:
        """``validate()`` for :func:`recipe.fit`: the loss and scores; the epoch's
        :class:`EvalReport` goes to ``reports``."""
        val_sum, val_count, outputs = recipe.evaluate(s.model, s.val_batches, s.loss_fn, s.device, s.amp)
        metrics, report = self._metrics(s, self._where[0], outputs.numpy())
        if report is not None:
            reports.append(report)
        return val_sum / val_count, metrics

    def _end_epoch(self, s: Session, done: recipe.EpochDone, node_stats: dict, reports: list, tensorboard):
        """Yield the events of an epoch :func:`recipe.fit` has finished and recorded."""
        row = done.row
        if tensorboard is not None:
            for key, value in row.items():
                if key != "epoch" and value is not None:
                    tensorboard.add_scalar(key, value, row["epoch"])
        metrics = {k: v for k, v in row.items() if k not in ("epoch", "train_loss", "val_loss", "lr", "duration")}
        yield EpochEnd(row["epoch"], row["train_loss"], row["val_loss"], metrics, row["lr"], row["duration"])
        yield from reports
        reports.clear()
        if self.details:
            append_node_stats(s.run_dir, row["epoch"], node_stats)  # the debugger's history, for later
            yield NodeStats(row["epoch"], node_stats)
        for problem in self._gradients.new_problems(node_stats):  # none without details: no statistics
            yield GradientWarning(row["epoch"], problem.kind, list(problem.nodes), problem.message)

    def _metrics(self, s: Session, epoch: int, outputs) -> tuple[dict, EvalReport | None]:
        data, config = s.data, s.config
        if data.full.task == TAGGING:
            return tagging_report(data, epoch, outputs, config.metrics.worst)
        if data.full.task != CLASSIFICATION:
            return regression_metrics(outputs, data.val.y), None
        true = data.val.y
        n = data.full.num_classes
        probs = probabilities(outputs)
        metrics = classification_metrics(probs, true, n, config.metrics.top_k)
        if not self.details:
            return metrics, None
        confusion = confusion_matrix(probs.argmax(axis=1), true, n)
        precision, recall = precision_recall(confusion)
        worst = [{"index": int(data.val_index[i]), "true": t, "pred": p, "confidence": c,
                  "x": data.full.x[data.val_index[i]].tolist()}  # plain data, as every event is
                 for i, t, p, c in worst_mistakes(probs, true, config.metrics.worst)]
        report = EvalReport(epoch, list(data.full.class_names), confusion.tolist(), precision.tolist(),
                            recall.tolist(), worst)
        return metrics, report

    def _best(self, s: Session) -> dict:
        rows = [row for row in s.history if row["epoch"] == s.monitor.best_epoch]
        if not rows:
            return {}
        return {**rows[0], "metric": s.metric, "value": rows[0][s.metric]}

    def _failure(self, err: Exception) -> Failed:
        epoch, step = self._where
        if isinstance(err, recipe.Diverged):
            lr = self.session.optimizer.param_groups[0]["lr"]
            what = (f"the loss became {err.loss}" if not math.isfinite(err.loss)
                    else f"the loss exploded to {err.loss:.3g} and would soon be NaN")
            optimizer = self.session.config.optimizer
            bad = self._first_bad_node()
            where = f"{bad.sentence(epoch, err.step)}. " if bad is not None else ""
            return Failed(f"training diverged at epoch {epoch}, step {err.step}: {what}. {where}"
                          f"{diverged_advice(optimizer.name, optimizer.lr, lr)}", bad and bad.node_id, epoch, err.step)
        if isinstance(err, NetbuilderError):
            return Failed(str(err), getattr(err, "node_id", None), epoch, step)
        node_id = node_for_exception(err)
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        where = f" at epoch {epoch}, step {step}" if step else f" validating epoch {epoch}" if epoch else ""
        if node_id is not None:
            label = f"{self.doc.nodes[node_id].type} '{node_id}'" if node_id in self.doc.nodes else f"'{node_id}'"
            return Failed(f"{label} failed{where}: {text}", node_id, epoch, step)
        return Failed(f"{type(err).__name__}{where}: {text}", None, epoch, step)


    def _first_bad_node(self) -> BadNode | None:
        """The node that first produced NaN/inf in the failing batch, replayed (None if unknown)."""
        if self._recorder is None:
            return None
        try:
            return self._recorder.first_bad_node(self.doc, generate(self.doc, report=infer_shapes(self.doc)))
        except Exception:  # noqa: BLE001 - the hunt must never hide the failure itself
            return None


class _NoProbe:
    """What a run without ``details`` arms: nothing."""

    def arm(self) -> None:
        pass

    disarm = arm

    def collect(self) -> dict:
        return {}


_NO_PROBE = _NoProbe()


def _record_failure(run_dir: Path, failed: Failed) -> None:
    """``failed.json`` in the run folder, so a list of runs can say this one failed and why
    (a later resume that finishes removes it)."""
    try:
        write_json(run_dir / FAILED_FILE, {"message": failed.message, "node_id": failed.node_id,
                                           "epoch": failed.epoch, "step": failed.step})
    except OSError:  # the disk may be why it failed; the Failed event still says it
        pass


def _saved_anyway(writer: CheckpointWriter):
    """After a failure, still write the last good epoch, so the run can be resumed."""
    try:
        yield from writer.flush()
    except Exception:  # the disk may be why we failed; the Failed event matters more
        return
