"""What a study reports: small, frozen, picklable dataclasses of plain data.

:meth:`netbuilder.train.search.Search.run` yields these (as the engine yields
:mod:`~netbuilder.train.events`), so the CLI prints them, a GUI receives them from
its worker process over a pipe, and a test collects them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPLETE, PRUNED, FAILED = "complete", "pruned", "failed"


@dataclass(frozen=True)
class StudyStarted:
    """The study is open. ``done`` counts the trials it already holds (a resumed
    study, or one other processes work on), ``planned`` those this run will try."""

    study_name: str
    storage: str
    metric: str
    direction: str  # "minimize" or "maximize"
    variables: list
    done: int
    planned: int
    best_value: float | None = None
    trials: list = field(default_factory=list)  # the study's trials so far, as StudyFinished lists them


@dataclass(frozen=True)
class TrialStarted:
    number: int
    params: dict


@dataclass(frozen=True)
class TrialEpoch:
    """One finished epoch of a trial: ``value`` is the objective's metric that epoch
    (what the pruner sees), ``row`` the engine's history row."""

    number: int
    epoch: int
    epochs: int
    value: float | None
    row: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TrialEnded:
    """A trial's result. ``state`` is complete, pruned or failed; ``reason`` says why
    one was pruned or failed, ``node_id`` names the node a failure belongs to (a
    shape error of the sampled graph)."""

    number: int
    state: str
    params: dict
    value: float | None
    duration: float
    reason: str = ""
    node_id: str | None = None
    run_dir: str = ""
    curve: list = field(default_factory=list)  # the objective per epoch
    best_number: int | None = None
    best_value: float | None = None


@dataclass(frozen=True)
class Importances:
    """How much each variable explains the objective so far (Optuna's evaluator; sums to 1)."""

    values: dict


@dataclass(frozen=True)
class StudyFinished:
    """This run's part of the study is over (budget spent, time up, or stopped)."""

    trials: list  # dicts: number, state, params, value, duration, reason (every trial of the study)
    best_number: int | None
    best_value: float | None
    best_params: dict
    stopped: bool = False


@dataclass(frozen=True)
class StudyFailed:
    """The study could not run (a bad space, a database that cannot be opened)."""

    message: str
    field: str = ""


@dataclass(frozen=True)
class StudySnapshot:
    """A study as stored, read without running it (the panel shows it when a graph opens)."""

    study_name: str
    metric: str
    direction: str
    trials: list  # as StudyFinished lists them
    best_number: int | None
    best_value: float | None
    importances: dict = field(default_factory=dict)


SearchEvent = StudyStarted | TrialStarted | TrialEpoch | TrialEnded | Importances | StudyFinished | StudyFailed
