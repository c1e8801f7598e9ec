"""The settings a resumed run continues with: its own, from its ``config.json``.

Resuming used to take the panel's current settings, so a run started with 400
epochs and resumed after a restart (the panel back at its default) was refused
("OneCycleLR schedule spans 18000 steps, this run's 900", issue 18). A run goes
on as it was started. The one thing that may change is how far it goes: more
epochs, as the panel says, unless its schedule is planned for its length
(cosine and one-cycle, which :func:`recipe.restore` refuses to stretch).
"""

from __future__ import annotations

import copy

PLANNED_FOR_LENGTH = ("cosine", "onecycle")


def resume_settings(run_training: dict, panel_training: dict, epochs_done: int) -> tuple[dict, str]:
    """The settings to resume a run with, and a sentence saying what they are."""
    training = copy.deepcopy(run_training)
    epochs = int(training.get("epochs", 0) or 0)
    wanted = int((panel_training or {}).get("epochs", epochs) or epochs)
    schedule = str((training.get("scheduler") or {}).get("name", "none"))
    note = f"with its own settings ({epochs} epochs"
    if wanted != epochs and wanted > epochs_done:
        if schedule in PLANNED_FOR_LENGTH:
            note += f"; not the panel's {wanted}: its {schedule} schedule is planned for {epochs}"
        else:
            training["epochs"] = wanted
            note = f"with its own settings ({epochs} → {wanted} epochs, as the panel says"
    return training, note + ")"


def why_fixed(run_training: dict) -> dict[str, str]:
    """The settings a resume may change, each with why it may not ("" if it may).

    Everything else (optimizer, rates, batch size, loss, data) is part of the
    state the checkpoint continues, so it stays the run's own.
    """
    epochs = int(run_training.get("epochs", 0) or 0)
    schedule = str((run_training.get("scheduler") or {}).get("name", "none"))
    planned = f"its {schedule} schedule is planned for {epochs} epochs" if schedule in PLANNED_FOR_LENGTH else ""
    return {"epochs": planned, "early_stopping.patience": ""}


def chosen_settings(run_training: dict, epochs: int, patience: int) -> tuple[dict, str]:
    """The run's own settings with the length and patience chosen in the Resume dialog, and the sentence saying so."""
    training = copy.deepcopy(run_training)
    changes = []
    old_epochs = int(training.get("epochs", 0) or 0)
    if epochs != old_epochs and not why_fixed(run_training)["epochs"]:
        training["epochs"] = epochs
        changes.append(f"{old_epochs} → {epochs} epochs")
    stopping = dict(training.get("early_stopping") or {})
    old_patience = int(stopping.get("patience", 0) or 0)
    if patience != old_patience:
        training["early_stopping"] = {**stopping, "patience": patience}
        changes.append(f"patience {old_patience} → {patience}")
    if not changes:
        return training, f"with its own settings ({old_epochs} epochs)"
    return training, f"with its own settings ({', '.join(changes)}, as chosen)"
