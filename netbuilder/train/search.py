"""A study over a graph's search space: Optuna samples, the engine trains.

:class:`Search` is the engine's counterpart for many runs: ``run()`` is a
generator of plain :mod:`~.search_events`, ``stop()`` may be called from any
thread. Each trial asks Optuna for values (:meth:`optuna.study.Study.ask` with
the space's distributions), writes them into a copy of the graph
(:func:`~netbuilder.core.search_space.apply_values`), checks the copy with shape
inference and the training settings with their own validation — a trial whose
values make the graph invalid is recorded as failed with the node and reason,
and the study goes on — then trains it with the same :class:`~.engine.Trainer`
as a normal run. Every finished epoch reports the monitored validation metric
to Optuna, so its pruner can end a hopeless trial between epochs.

The study lives in an Optuna storage (by default an SQLite file beside the
graph), so any number of processes or machines can work on one study, and a
study reopened later continues where it stopped. A trial left *running* by a
process that died on this machine is marked failed when the study reopens and
its values are tried again.

Optuna is an optional dependency (``pip install 'netbuilder[search]'``):
nothing imports it before a study starts, and :func:`require_optuna` says how
to get it.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import GraphError, ParamError
from ..core.search_space import (
    BYPASS,
    CHOICE,
    INT,
    SearchSpace,
    Variable,
    apply_values,
    bypass_problems,
    parse_target,
    read_space,
    target_problems,
)
from ..core.shapes import infer_shapes
from .config import TrainingConfig
from .events import EpochEnd, Failed, Finished
from .metrics import better_mode
from .search_events import (
    COMPLETE,
    FAILED,
    PRUNED,
    StudyFailed,
    StudyFinished,
    StudyStarted,
    TrialEnded,
    TrialEpoch,
    TrialStarted,
)
from .search_optuna import (  # noqa: F401 - SearchError, default_storage, open_storage, trial_row: this module's API
    STATES,
    SearchError,
    best_of,
    default_storage,
    distributions,
    grid_size,
    importance_events,
    make_pruner,
    make_sampler,
    open_storage,
    require_optuna,
    spent_trials,
    trial_row,
)


@dataclass
class SearchOptions:
    """How to run a study; ``None`` means the graph's ``search.study`` setting (then the default).

    ``trials`` is how many trials *this* run tries; without it, the run tries what
    the file's budget (``search.study.trials``, a total for the study) has left.
    """

    trials: int | None = None
    timeout: float | None = None
    sampler: str | None = None
    pruner: str | None = None
    seed: int | None = None
    storage: str | None = None
    study_name: str | None = None


def objective(config: TrainingConfig) -> tuple[str, str]:
    """The monitored metric of the training settings and whether to minimise or maximise it."""
    stopping = config.early_stopping
    mode = better_mode(stopping.metric) if stopping.mode == "auto" else stopping.mode
    return stopping.metric, "minimize" if mode == "min" else "maximize"


def current_values(doc, space: SearchSpace, config: TrainingConfig) -> dict | None:
    """The value each variable has in the graph now (its first target's), or None when one
    lies outside its range (or its targets disagree: tied widths drawn different)."""
    values = {}
    for name, variable in space.variables.items():
        seen = {repr(v): v for v in (_current(doc, text, config) for text in variable.targets)}
        if len(seen) != 1:
            return None
        value = next(iter(seen.values()))
        if not _inside(variable, value):
            return None
        values[name] = value
    return values


def _current(doc, text: str, config: TrainingConfig):
    target = parse_target(text)
    if target.training_path is not None:
        value = config
        for key in target.training_path.split("."):
            value = getattr(value, key, None)
        return value
    owner = doc if target.block is None else (getattr(doc, "blocks", None) or {}).get(target.block)
    node = owner.nodes.get(target.node) if owner is not None else None
    if node is None:
        return None
    if target.param == BYPASS:
        return False  # drawn, the node is there
    if target.param in node.params:
        return node.params[target.param]
    param = owner.spec_for(node.type).param(target.param)
    return None if param is None else param.default


def _inside(variable: Variable, value) -> bool:
    if variable.kind == CHOICE:
        return any(type(value) is type(c) and value == c for c in variable.choices)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not variable.low <= value <= variable.high:
        return False
    if variable.kind == INT and not float(value).is_integer():
        return False
    step = variable.step or (1 if variable.kind == INT else None)
    return step is None or math.isclose(((value - variable.low) / step + 1e-9) % 1, 0, abs_tol=1e-6)


def _make_trainer(doc, config, runs_dir, base_dir):
    from .engine import Trainer

    return Trainer(doc, config, runs_dir=runs_dir, base_dir=base_dir)


class Search:
    """A study over ``doc``'s search space (see the module docstring).

    ``base_dir`` is where relative data paths start (the graph's folder);
    trials' run folders go under ``runs_dir/<study>-search``. ``make_trainer``
    builds each trial's trainer (the GUI's worker writes every epoch; a test
    may swap in its own). ``timings`` holds (trial seconds, seconds inside the
    trainer) per trial, for the overhead benchmark.
    """

    def __init__(self, doc, options: SearchOptions | None = None, base_dir: str | Path | None = None,
                 runs_dir: str | Path = "runs", make_trainer=_make_trainer):
        self.doc = doc.copy()
        self.options = options or SearchOptions()
        self.base_dir, self.runs_dir = base_dir, Path(runs_dir)
        self._make_trainer = make_trainer
        self._stop = threading.Event()
        self._trainer = None
        self.timings: list[tuple[float, float]] = []
        self._pruner = "none"
        self.report_importances = False  # after each trial, yield Importances (the GUI's panel shows them)

    def stop(self) -> None:
        """End the study after stopping the current trial (it is tried again when the study continues)."""
        self._stop.set()
        trainer = self._trainer
        if trainer is not None:
            trainer.stop()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- setting up -----------------------------------------------------------------------------
    def prepare(self):
        """Check everything and open the study; returns (study, space, config, metric, storage URL)."""
        problems = target_problems(self.doc)
        if not problems and any(t.endswith("." + BYPASS) for v in self.doc.search.get("space", {}).values()
                                for t in v["targets"]):
            problems = bypass_problems(self.doc, infer_shapes(self.doc))
        if problems:
            raise SearchError(problems[0], problems[0].split(":", 1)[0])
        space = read_space(self.doc.search)
        if not space.variables:
            raise SearchError("the search space is empty: mark at least one setting as 'vary' "
                              "(search.space in the file)", "search.space")
        _check_training_targets(self.doc, space)
        o = self.options
        study_settings = {**space.study, **{k: v for k, v in (("sampler", o.sampler), ("pruner", o.pruner),
                                                              ("seed", o.seed)) if v is not None}}
        space.study.update(study_settings)
        try:
            config = TrainingConfig.from_dict(self.doc.training)
        except ParamError as err:
            raise SearchError(str(err), err.field) from None
        metric, direction = objective(config)
        optuna = require_optuna()
        url = o.storage or default_storage(Path(self.base_dir or ".") / f"{self.doc.name}.json")
        storage = open_storage(url)
        name = o.study_name or self.doc.name
        sampler = make_sampler(space.study["sampler"], space, space.study.get("seed"))
        self._pruner = space.study["pruner"]
        pruner = make_pruner(self._pruner, config.epochs)
        try:
            study = optuna.create_study(storage=storage, study_name=name, direction=direction, sampler=sampler,
                                        pruner=pruner, load_if_exists=True)
        except Exception as err:  # noqa: BLE001 - a storage that opened but cannot hold a study
            raise SearchError(f"storage {url}: cannot open study {name!r} ({err})", "storage") from None
        known = study.user_attrs.get("metric")
        if known is not None and (known != metric or study.direction.name.lower() != direction):
            raise SearchError(f"study {name!r} in {url} optimises {known}, not {metric} ({direction}): "
                              "choose another study name or storage", "training.early_stopping.metric")
        if known is None:
            study.set_user_attr("metric", metric)
        if space.study["sampler"] != "grid" and not study.get_trials(deepcopy=False):  # a grid tries it anyway
            values = current_values(self.doc, space, config)
            if values is not None:  # trial 0 is the graph as drawn: the best is never worse than it
                study.enqueue_trial(values)
        return study, space, config, metric, url

    def _recover(self, study) -> None:
        """Trials left running by a process of this machine that no longer exists: failed, tried again."""
        host = socket.gethostname()
        for trial in study.get_trials(deepcopy=False, states=(require_optuna().trial.TrialState.RUNNING,)):
            pid = trial.user_attrs.get("pid")
            if trial.user_attrs.get("host") != host or pid is None or _alive(pid):
                continue
            study._storage.set_trial_user_attr(trial._trial_id, "reason", "its process ended before it finished")
            try:
                study.tell(trial.number, state=require_optuna().trial.TrialState.FAIL)
            except (RuntimeError, ValueError):  # another process on the study was first
                continue
            study.enqueue_trial(dict(trial.params))

    # -- the study ------------------------------------------------------------------------------
    def run(self):
        """Yield the study's events, ending with :class:`StudyFinished` or :class:`StudyFailed`."""
        try:
            study, space, config, metric, url = self.prepare()
            self._recover(study)
        except (SearchError, GraphError) as err:
            yield StudyFailed(str(err), getattr(err, "field", ""))
            return
        rows = [trial_row(t) for t in study.get_trials(deepcopy=False)]
        done = sum(r["state"] in (COMPLETE, PRUNED, FAILED) for r in rows)
        budget = self._budget(space)
        planned = self.options.trials if self.options.trials is not None else max(0, budget - spent_trials(study))
        best = best_of(study)
        yield StudyStarted(study.study_name, url, metric, study.direction.name.lower(),
                           list(space.variables), done, planned, best[1], rows)
        timeout = self.options.timeout if self.options.timeout is not None else space.study.get("timeout")
        started = time.monotonic()
        fixed = distributions(space)
        ran = 0
        while ran < planned and not self._stop.is_set():
            if timeout is not None and time.monotonic() - started >= timeout:
                break
            if (self.options.trials is None or space.study["sampler"] == "grid") and spent_trials(study) >= budget:
                break  # other processes on the study spent the budget (or the grid is done)
            yield from self._trial(study, space.variables, fixed, config, metric)
            ran += 1
            if self.report_importances:
                yield from importance_events(study)
        best = best_of(study)
        yield StudyFinished([trial_row(t) for t in study.get_trials(deepcopy=False)], best[0], best[1],
                            best[2], self._stop.is_set())

    def _budget(self, space: SearchSpace) -> int:
        """The study's total: the file's ``search.study.trials``, never more than a grid holds."""
        budget = int(space.study["trials"]) if self.options.trials is None else 10**9
        return min(budget, grid_size(space)) if space.study["sampler"] == "grid" else budget

    def _trial(self, study, variables: dict[str, Variable], fixed: dict, config: TrainingConfig, metric: str):
        optuna = require_optuna()
        state = optuna.trial.TrialState
        trial = study.ask(fixed)
        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", os.getpid())
        params = {name: trial.params[name] for name in variables}
        yield TrialStarted(trial.number, params)
        started = time.perf_counter()
        inside = 0.0
        outcome = _check_trial(self.doc, params)
        curve: list[float] = []
        if isinstance(outcome, Failed):
            result = (state.FAIL, None, outcome.message, outcome.node_id, "")
        else:
            trial_doc = outcome
            trial_doc.name = f"trial-{trial.number:04d}"
            trainer = self._trainer = self._make_trainer(trial_doc, TrainingConfig.from_dict(trial_doc.training),
                                                         self.runs_dir / f"{study.study_name}-search", self.base_dir)
            if self._stop.is_set():
                trainer.stop()
            pruned, result = False, None
            events = trainer.run()
            while True:
                t0 = time.perf_counter()
                event = next(events, None)
                inside += time.perf_counter() - t0
                if event is None:
                    break
                if isinstance(event, EpochEnd):
                    value = _metric_of(event, metric)
                    if value is not None and math.isfinite(value):
                        curve.append(value)
                        trial.report(value, event.epoch)
                        if not pruned and trial.should_prune():
                            pruned = True
                            trainer.stop()
                    yield TrialEpoch(trial.number, event.epoch, config.epochs, value,
                                     {"epoch": event.epoch, "train_loss": event.train_loss,
                                      "val_loss": event.val_loss, **event.metrics})
                elif isinstance(event, Failed):
                    result = (state.FAIL, None, event.message, event.node_id, "")
                elif isinstance(event, Finished):
                    result = self._finished(event, pruned, curve, state)
            self._trainer = None
        kind, value, reason, node_id, run_dir = result or (state.FAIL, None, "the trial ended without a result",
                                                           None, "")
        for key, item in (("reason", reason), ("node_id", node_id), ("run_dir", run_dir)):
            if item:
                trial.set_user_attr(key, item)
        study.tell(trial, value if kind == state.COMPLETE else None, state=kind)
        if kind == state.FAIL and self._stop.is_set() and reason.startswith("stopped"):
            study.enqueue_trial(params)
        duration = time.perf_counter() - started
        self.timings.append((duration, inside))
        best = best_of(study)
        yield TrialEnded(trial.number, STATES[kind.name], params, value, duration, reason, node_id, run_dir,
                         curve, best[0], best[1])

    def _finished(self, event: Finished, pruned: bool, curve: list, state) -> tuple:
        if pruned:
            last = f"{curve[-1]:.4g}" if curve else "?"
            judge = {"median": "worse than the median of other trials at that epoch",
                     "hyperband": "among the worst of its Hyperband bracket"}.get(self._pruner, "hopeless")
            return (state.PRUNED, None, f"pruned after epoch {len(curve)}: {last} is {judge}", None, event.run_dir)
        if event.stopped_by_user:
            return (state.FAIL, None, "stopped before it finished; tried again when the study continues", None,
                    event.run_dir)
        if not event.best:
            return (state.FAIL, None, "no epoch finished", None, event.run_dir)
        return (state.COMPLETE, float(event.best["value"]), "", None, event.run_dir)


def _check_training_targets(doc, space: SearchSpace) -> None:
    """Each training target, tried with its variable's bounds, must be a setting that takes them."""
    for name, variable in space.variables.items():
        for i, text in enumerate(variable.targets):
            if parse_target(text).training_path is None:
                continue
            for value in variable.choices or (variable.low, variable.high):
                single = SearchSpace({name: Variable(name, variable.kind, (text,), variable.low, variable.high,
                                                     variable.step, variable.log, variable.choices)})
                trial_doc = doc.copy()
                trial_doc.search = {"space": {name: _raw(single.variables[name])}}
                try:
                    TrainingConfig.from_dict(apply_values(trial_doc, {name: value}).training)
                except ParamError as err:
                    where = f"search.space.{name}.targets[{i}]"
                    raise SearchError(f"{where}: {text} cannot take {value!r}: {err}", where) from None


def _raw(variable: Variable) -> dict:
    if variable.kind == CHOICE:
        return {"kind": CHOICE, "choices": list(variable.choices), "targets": list(variable.targets)}
    raw = {"kind": variable.kind, "low": variable.low, "high": variable.high, "targets": list(variable.targets),
           "log": variable.log}
    return raw if variable.step is None else {**raw, "step": variable.step}


def _check_trial(doc, params: dict):
    """The trial's graph, or a :class:`Failed` naming the target, field or node that refuses its values."""
    try:
        trial_doc = apply_values(doc, params)
        TrainingConfig.from_dict(trial_doc.training)
    except ParamError as err:
        return Failed(f"{err.field}: {err.detail}")
    report = infer_shapes(trial_doc)
    if report.errors:
        first = report.errors[0]
        where = f"{trial_doc.nodes[first.node_id].type} '{first.node_id}': " if first.node_id in trial_doc.nodes else ""
        return Failed(f"the sampled graph is invalid: {where}{first.message}", first.node_id)
    return trial_doc


def _metric_of(event: EpochEnd, metric: str) -> float | None:
    if metric == "val_loss":
        return event.val_loss if event.val_loss is not None else event.train_loss
    if metric == "train_loss":
        return event.train_loss
    value = event.metrics.get(metric)
    return None if value is None else float(value)


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    return True
