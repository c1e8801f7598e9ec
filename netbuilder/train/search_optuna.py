"""Optuna's side of a study: storage, distributions, samplers, pruners, and trials as plain rows.

Kept apart from :mod:`.search` (which runs trials on the engine) so that what
depends on Optuna's API is in one short module. Nothing imports Optuna before
:func:`require_optuna` is called, so netbuilder works without it until a study
starts, and then says how to install it.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from ..core.errors import NetbuilderError
from ..core.search_space import CHOICE, INT, SearchSpace
from .search_events import COMPLETE, FAILED, PRUNED, Importances, StudySnapshot

INSTALL_HINT = "the search needs Optuna: pip install 'netbuilder[search]' (or: pip install optuna)"
STATES = {"COMPLETE": COMPLETE, "PRUNED": PRUNED, "FAIL": FAILED, "RUNNING": "running", "WAITING": "waiting"}
OPEN_ATTEMPTS = 5
SQLITE_WAIT_S = 60  # how long a process waits for another's write to an SQLite study


class SearchError(NetbuilderError):
    """A study cannot start; ``field`` names what to fix (``storage``, ``search.space.lr``…)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def require_optuna():
    """The ``optuna`` module, or :class:`SearchError` saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise SearchError(INSTALL_HINT, "optuna") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def default_storage(graph_path: str | os.PathLike) -> str:
    """The SQLite file beside a graph that holds its studies (``graph.study.db``)."""
    path = Path(graph_path).resolve()
    return f"sqlite:///{path.with_name(path.stem + '.study.db')}"


def open_storage(url: str):
    """An Optuna storage for ``url``, or :class:`SearchError` naming it and why it failed."""
    optuna = require_optuna()
    kwargs = {"connect_args": {"timeout": SQLITE_WAIT_S}} if url.startswith("sqlite") else {}
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
        except Exception as err:  # noqa: BLE001 - sqlalchemy, alembic and the drivers each raise their own
            failure = err
            if "already exists" not in str(err) and "UNIQUE constraint" not in str(err):
                break
            time.sleep(0.2 * (attempt + 1))  # processes starting at once race to create the tables: the loser retries
    reason = str(failure).strip().splitlines()[0] if str(failure).strip() else type(failure).__name__
    raise SearchError(f"storage {url}: the study database cannot be opened ({reason})", "storage")



def distributions(space: SearchSpace) -> dict:
    optuna = require_optuna()
    d = optuna.distributions
    out = {}
    for name, v in space.variables.items():
        if v.kind == CHOICE:
            out[name] = d.CategoricalDistribution(list(v.choices))
        elif v.kind == INT:
            out[name] = d.IntDistribution(v.low, v.high, log=v.log, step=v.step or 1)
        else:
            out[name] = d.FloatDistribution(v.low, v.high, log=v.log, step=v.step)
    return out


def make_sampler(name: str, space: SearchSpace, seed: int | None):
    optuna = require_optuna()
    if name == "grid":
        points = int(space.study.get("grid_points", 5))
        return _Grid({n: v.grid(points) for n, v in space.variables.items()}, seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, int(space.study["trials"]) // 3)))


_GRID_CLASS = None


def _Grid(grid: dict, seed: int | None):
    """Optuna's grid sampler, minus its ``study.stop()`` when the grid is done: that only works
    inside ``study.optimize``, and :meth:`Search.run` stops at the grid's size by itself."""
    global _GRID_CLASS
    if _GRID_CLASS is None:
        class Grid(require_optuna().samplers.GridSampler):
            def after_trial(self, study, trial, state, values) -> None:
                pass

        _GRID_CLASS = Grid
    return _GRID_CLASS(grid, seed=seed)


def make_pruner(name: str, epochs: int):
    optuna = require_optuna()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs))
    return optuna.pruners.NopPruner()


def grid_size(space: SearchSpace) -> int:
    points = int(space.study.get("grid_points", 5))
    return math.prod(len(v.grid(points)) for v in space.variables.values())


def trial_row(trial) -> dict:
    """One trial of a study as plain data (for tables and :class:`StudyFinished`)."""
    duration = (trial.datetime_complete - trial.datetime_start).total_seconds() \
        if trial.datetime_complete and trial.datetime_start else None
    attrs = trial.user_attrs
    return {"number": trial.number, "state": STATES.get(trial.state.name, trial.state.name.lower()),
            "params": dict(trial.params), "value": trial.value, "duration": duration,
            "reason": attrs.get("reason", ""), "node_id": attrs.get("node_id"), "run_dir": attrs.get("run_dir", ""),
            "curve": [trial.intermediate_values[k] for k in sorted(trial.intermediate_values)]}


RETRIED = ("stopped", "its process ended")  # failures that are tried again, so spend no budget


def spent_trials(study) -> int:
    """Trials that count against the study's budget: all but those waiting and those tried again."""
    count = 0
    for trial in study.get_trials(deepcopy=False):
        if trial.state.name == "WAITING" or str(trial.user_attrs.get("reason", "")).startswith(RETRIED):
            continue
        count += 1
    return count


def importance_events(study):
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(complete) < 3 or not complete[0].params:
        return
    try:
        values = require_optuna().importance.get_param_importances(study)
    except Exception:  # noqa: BLE001 - too few distinct values to tell yet
        return
    yield Importances({k: float(v) for k, v in values.items()})


def best_of(study) -> tuple[int | None, float | None, dict]:
    try:
        trial = study.best_trial
    except ValueError:  # no complete trial yet
        return None, None, {}
    return trial.number, trial.value, dict(trial.params)


def study_snapshot(url: str, name: str) -> StudySnapshot | None:
    """The trials, best and importances of study ``name`` in ``url``, or None when there is
    none; changes nothing (an SQLite file that does not exist is not created).
    :class:`SearchError` when the storage cannot be read."""
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        return None
    optuna = require_optuna()
    storage = open_storage(url)
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:  # the file holds other studies only
        return None
    best = best_of(study)
    importances = next(importance_events(study), None)
    return StudySnapshot(name, study.user_attrs.get("metric", "value"), study.direction.name.lower(),
                         [trial_row(t) for t in study.get_trials(deepcopy=False)], best[0], best[1],
                         importances.values if importances is not None else {})
