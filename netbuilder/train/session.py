"""Everything one run trains with, built from a graph and its settings.

The order of the steps below is part of the contract with the exported script:
data first (no torch randomness), then ``seed_everything``, then the model (its
initial weights draw from the seeded generator), then the shuffling generator. The
script does the same in the same order, which is why both see the same numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..core.codegen import generate
from ..core.compiler import build_model
from ..core.document import GraphDocument
from ..core.fileformat import dumps
from ..core.freeze import freeze_paths
from ..core.shapes import infer_shapes
from . import recipe, tagging
from .checkpoints import load_checkpoint, new_run_dir, resume_file, write_json
from .config import TrainingConfig
from .datasets import CLASSIFICATION, TAGGING
from .graph_versions import GraphChange, continue_edited, record_version, same_network, trained_graph
from .initial_weights import load_initial
from .metrics import better_mode
from .prepare import PreparedData, TrainingError, check_graph, prepare_data, resolve_device
from .tokens_data import VOCABULARY_FILE, vocabulary_record
from .transplant import Transplant


@dataclass
class Session:
    """The built run. A GUI may read it once ``RunStarted`` arrives: ``data.full``
    holds the samples that ``EvalReport.worst`` indexes, ``run_dir`` the folder."""

    config: TrainingConfig
    data: PreparedData
    device: torch.device
    model: nn.Module
    attr_of: dict[str, str]
    loss_fn: object
    optimizer: torch.optim.Optimizer
    scheduler: object
    scaler: object
    generator: torch.Generator
    train_batches: recipe.Batches
    val_batches: recipe.Batches | None
    step: recipe.SupervisedStep
    monitor: recipe.Monitor
    metric: str
    run_dir: Path
    start_epoch: int = 0
    history: list[dict] = field(default_factory=list)
    graph_change: GraphChange | None = None  # resumed with an edited graph: what moved over
    initial: Transplant | None = None  # started from an earlier run's weights: what they filled

    @property
    def amp(self) -> bool:
        return self.scaler is not None

    def checkpoint(self, epoch: int) -> dict:
        return recipe.checkpoint(self.model, self.optimizer, self.scheduler, self.scaler, self.generator,
                                 epoch, self.history)


def check(doc: GraphDocument, config: TrainingConfig, base_dir: str | Path | None = None) -> PreparedData:
    """Load the data and check the graph fits it; raises :class:`TrainingError`.
    Cheap: a GUI can call it before offering to train."""
    data = prepare_data(config, base_dir)
    check_graph(doc, infer_shapes(doc), data.full, config)
    return data


def metric_names(task: str, num_classes: int, has_val: bool, top_k: list[int]) -> list[str]:
    """What the early-stopping metric may watch for this data."""
    if not has_val:
        return ["train_loss"]
    if task == TAGGING:
        extra = ["token_accuracy", "macro_f1"]
    elif task == CLASSIFICATION:
        extra = ["accuracy"] + [f"top{k}_accuracy" for k in top_k if 1 < k < num_classes]
    else:
        extra = ["mse", "mae", "r2"]
    return ["val_loss", "train_loss", *extra]


def _monitor(data: PreparedData, config: TrainingConfig) -> tuple[recipe.Monitor, str]:
    stopping = config.early_stopping
    names = metric_names(data.full.task, data.full.num_classes, len(data.val) > 0, config.metrics.top_k)
    metric = "train_loss" if stopping.metric == "val_loss" and not len(data.val) else stopping.metric
    if metric not in names:
        raise TrainingError(f"training.early_stopping.metric: {metric!r} is not measured here; "
                            f"choose from {', '.join(names)}")
    mode = better_mode(metric) if stopping.mode == "auto" else stopping.mode
    return recipe.Monitor(mode, stopping.patience, stopping.min_delta), metric


def open_session(doc: GraphDocument, config: TrainingConfig, runs_dir: str | Path = "runs",
                 resume: str | Path | None = None, base_dir: str | Path | None = None,
                 by_node_id: bool = False, init_from: str | Path | None = None) -> Session:
    """Build the run; raises :class:`TrainingError` (or a data/config error) first if
    anything does not fit, before the model is built. With ``by_node_id``, a run
    resumed with an edited graph takes what fits node by node (:mod:`.graph_versions`);
    without, a checkpoint must fit the graph exactly. ``init_from`` (a run folder or
    checkpoint) gives a new run its starting weights, node by node (:mod:`.initial_weights`)."""
    data = prepare_data(config, base_dir)
    report = infer_shapes(doc)
    check_graph(doc, report, data.full, config)
    monitor, metric = _monitor(data, config)
    device = resolve_device(config.device)
    checkpoint = load_checkpoint(resume_file(resume)) if resume else None

    recipe.seed_everything(config.seed)
    model = build_model(doc, report)
    attr_of = generate(doc, report=report).attr_of
    for path in freeze_paths(doc, config.freeze, attr_of)[0]:
        recipe.freeze(model, path)
    initial = load_initial(model, attr_of, doc, init_from) if init_from and checkpoint is None else None
    model.to(device)
    generator = torch.Generator().manual_seed(config.seed)

    train_batches = recipe.Batches(torch.from_numpy(data.train.x), torch.from_numpy(data.train.y),
                                   config.batch_size, generator, device=device)
    val_batches = recipe.Batches(torch.from_numpy(data.val.x), torch.from_numpy(data.val.y),
                                 config.batch_size, device=device) if len(data.val) else None
    if data.full.task == TAGGING:  # every token a sample; padded positions skipped
        train_batches = tagging.TrimmedBatches(train_batches)
        loss_fn = tagging.token_loss(recipe.make_loss(task=CLASSIFICATION, device=device, **asdict(config.loss)))
    else:
        loss_fn = recipe.make_loss(task=data.full.task, device=device, **asdict(config.loss))
    opt = config.optimizer
    optimizer = recipe.make_optimizer(opt.name, model, opt.lr, opt.weight_decay, opt.momentum, opt.nesterov,
                                      opt.betas)
    sched = config.scheduler
    scheduler = recipe.make_scheduler(sched.name, optimizer, config.epochs, len(train_batches), sched.step_size,
                                      sched.gamma, sched.min_lr, sched.pct_start, sched.factor, sched.patience)
    scaler = torch.amp.GradScaler("cuda") if config.amp and device.type == "cuda" else None

    step = recipe.SupervisedStep(model, loss_fn, optimizer, scheduler, config.grad_clip, scaler)
    session = Session(config, data, device, model, attr_of, loss_fn, optimizer, scheduler, scaler, generator,
                      train_batches, val_batches, step, monitor, metric, run_dir=Path(), initial=initial)
    if checkpoint is not None:
        session.run_dir = resume_file(resume).parent
        before = trained_graph(session.run_dir) if by_node_id else None
        if before is not None and not same_network(before[0], doc):  # edited while paused: by node id
            moved = continue_edited(session, checkpoint, *before)
            session.graph_change = record_version(session.run_dir, before[0], doc, session.start_epoch + 1, moved)
        else:
            _restore(session, checkpoint)
    else:
        session.run_dir = new_run_dir(runs_dir, doc.name)
    record = {"graph": doc.name, "data": data.describe(), "training": config.to_dict(full=True)}
    if initial is not None:  # where the run's starting weights came from
        record["initial_weights"] = {"source": str(init_from), "kept": initial.kept, "reset": initial.reset}
    write_json(session.run_dir / "config.json", record)
    (session.run_dir / "graph.json").write_text(dumps(doc), encoding="utf-8")
    if data.full.vocabulary is not None:  # text: a tagger's or a classifier's words, to read new text
        write_json(session.run_dir / VOCABULARY_FILE, vocabulary_record(data.full))
    return session


def _restore(session: Session, checkpoint: dict) -> None:
    try:
        epoch, history = recipe.restore(checkpoint, session.model, session.optimizer, session.scheduler,
                                        session.scaler, session.generator)
    except (KeyError, RuntimeError, ValueError) as err:
        raise TrainingError(f"this checkpoint does not fit the graph or its settings: {err}") from None
    session.start_epoch, session.history = epoch, history
    for row in history:  # the best value so far and the epochs since, as if never interrupted
        session.monitor.update(row[session.metric], row["epoch"])
